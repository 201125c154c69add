import type { Channel } from '../schemas/touchpoint.ts';
import { type RouteAccess, type Scope, scopes as knownScopes } from './scopes.ts';

const writePrefix = 'touchpoints:write:';

export function isScope(value: string): value is Scope {
  return (knownScopes as readonly string[]).includes(value);
}

/**
 * Whether API Gateway runs the Lambda authorizer before the route (in AWS and locally). Not for
 * public routes, the web route (its public key is checked by the route against the Origin) or
 * connectors (their handlers verify the sender with that connector's own secret).
 */
export function usesAuthorizer(access: RouteAccess): boolean {
  return access !== 'public' && access !== 'public-key' && access !== 'connector';
}

/** Whether a credential holding `granted` may call a route that needs `access` (its credential already verified). */
export function grantsAccess(granted: ReadonlySet<string>, access: RouteAccess): boolean {
  if (access === 'connector') return false;
  if (access === 'public' || access === 'authenticated') return true;
  // A Bearer credential never reaches the web route: it takes a public key of its own.
  if (access === 'public-key') return false;
  if (access === 'touchpoints:write') return [...granted].some((scope) => scope.startsWith(writePrefix));
  return granted.has(access);
}

/** The channel-level check the authorizer cannot make: it never sees the body. */
export function mayWriteChannel(granted: ReadonlySet<string>, channel: Channel): boolean {
  return granted.has(`${writePrefix}*`) || granted.has(`${writePrefix}${channel}`);
}

/** Every scope: what the bootstrap key and the default test client hold. */
export const allScopes: readonly Scope[] = knownScopes;
