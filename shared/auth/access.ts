import type { Channel } from '../schemas/touchpoint.ts';
import { type RouteAccess, type Scope, scopes as knownScopes } from './scopes.ts';

const writePrefix = 'touchpoints:write:';

export function isScope(value: string): value is Scope {
  return (knownScopes as readonly string[]).includes(value);
}

/** Whether a credential holding `granted` may call a route that needs `access` (its credential already verified). */
export function grantsAccess(granted: ReadonlySet<string>, access: RouteAccess): boolean {
  if (access === 'connector') return false;
  if (access === 'public' || access === 'authenticated') return true;
  if (access === 'touchpoints:write') return [...granted].some((scope) => scope.startsWith(writePrefix));
  return granted.has(access);
}

/** Routes API Gateway lets through without the authorizer: public ones, and connectors, whose handlers verify the sender. */
export function skipsAuthorizer(access: RouteAccess): boolean {
  return access === 'public' || access === 'connector';
}

/** The channel-level check the authorizer cannot make: it never sees the body. */
export function mayWriteChannel(granted: ReadonlySet<string>, channel: Channel): boolean {
  return granted.has(`${writePrefix}*`) || granted.has(`${writePrefix}${channel}`);
}

/** Every scope: what the bootstrap key and the default test client hold. */
export const allScopes: readonly Scope[] = knownScopes;
