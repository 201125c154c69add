import { routes } from '../http/routes.ts';
import { grantsAccess } from './access.ts';
import { bearerToken, isPlausibleKey } from './api-keys.ts';
import type { AuthenticatedClient } from './client.ts';
import type { JwtVerifier } from './jwt-verifier.ts';
import { looksLikeJwt } from './jwt-verifier.ts';
import type { KeyKind } from '../schemas/api-key.ts';
import type { RouteAccess, Scope } from './scopes.ts';

/** Why a request was refused: logged by the authorizer, never told to the caller. */
export type Denial =
  | 'unknown-route'
  | 'no-credential'
  | 'malformed-credential'
  | 'unknown-key'
  | 'revoked-key'
  | 'public-key'
  | 'invalid-token'
  | 'tokens-not-accepted'
  | 'insufficient-scope';

export type Decision = { isAuthorized: true; client: AuthenticatedClient } | { isAuthorized: false; reason: Denial; clientId?: string };

export interface KeyRecord {
  keyId: string;
  name: string;
  scopes: readonly Scope[];
  kind: KeyKind;
  revokedAt: string | null;
}

export interface AuthorizeDependencies {
  findKey(key: string): Promise<KeyRecord | undefined>;
  /** Absent when no token issuer is configured: tokens are then refused. */
  verifyJwt?: JwtVerifier;
}

const accessByRouteKey = new Map<string, RouteAccess>(routes.map((route) => [`${route.method} ${route.path}`, route.access]));

/** The access a route needs, named once in the route table; undefined for a route key not in it. */
export function accessOfRouteKey(routeKey: string): RouteAccess | undefined {
  return accessByRouteKey.get(routeKey);
}

/**
 * Decides one request from its route key (which names the route's required access) and its
 * Authorization header. Fails closed: an unknown route, an unreadable header, an unknown or revoked
 * key, a token that does not verify, or a missing scope are all refusals.
 */
export async function authorize(request: { routeKey: string; authorization: string | undefined }, dependencies: AuthorizeDependencies): Promise<Decision> {
  const access = accessOfRouteKey(request.routeKey);
  if (access === undefined) return { isAuthorized: false, reason: 'unknown-route' };
  if (!request.authorization) return { isAuthorized: false, reason: 'no-credential' };
  const token = bearerToken(request.authorization);
  if (!token) return { isAuthorized: false, reason: 'malformed-credential' };

  const client = looksLikeJwt(token) ? await clientOfToken(token, dependencies) : await clientOfKey(token, dependencies);
  if ('reason' in client) return { isAuthorized: false, reason: client.reason };
  if (!grantsAccess(client.scopes, access)) return { isAuthorized: false, reason: 'insufficient-scope', clientId: client.clientId };
  return { isAuthorized: true, client };
}

async function clientOfToken(token: string, dependencies: AuthorizeDependencies): Promise<AuthenticatedClient | { reason: Denial }> {
  if (!dependencies.verifyJwt) return { reason: 'tokens-not-accepted' };
  return (await dependencies.verifyJwt(token)) ?? { reason: 'invalid-token' };
}

async function clientOfKey(key: string, dependencies: AuthorizeDependencies): Promise<AuthenticatedClient | { reason: Denial }> {
  if (!isPlausibleKey(key)) return { reason: 'malformed-credential' };
  const record = await dependencies.findKey(key);
  if (!record) return { reason: 'unknown-key' };
  if (record.revokedAt) return { reason: 'revoked-key' };
  // A public key is in every visitor's page: it works only on the web route, which checks its origins.
  if (record.kind === 'public') return { reason: 'public-key' };
  return { clientId: record.keyId, clientName: record.name, scopes: new Set(record.scopes) };
}
