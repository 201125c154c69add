import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { isScope } from './access.ts';
import type { JwtSettings } from './auth-config.ts';
import type { AuthenticatedClient } from './client.ts';
import type { Scope } from './scopes.ts';

/**
 * Staff tools send an OIDC access token instead of an API key. In AWS an HTTP API route takes one
 * authorizer, and a JWT authorizer cannot sit beside the Lambda authorizer that API keys need, so
 * the Lambda authorizer verifies tokens itself, with jose, against the issuer's JWKS (cached in
 * the Lambda's memory between invocations; refreshed when a token names an unknown key id).
 * Locally the same code verifies tokens of a test issuer.
 */
export type JwtVerifier = (token: string) => Promise<AuthenticatedClient | undefined>;

/** Asymmetric algorithms only: `none` and shared-secret HMAC tokens are never accepted. */
const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export function looksLikeJwt(token: string): boolean {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(token);
}

export function jwtVerifier(settings: JwtSettings, keys?: JWTVerifyGetKey): JwtVerifier {
  const getKey = keys ?? createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 3_000, cooldownDuration: 30_000 });
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, getKey, { issuer: settings.issuer, algorithms, clockTolerance: 30, requiredClaims: ['sub', 'exp'] });
      return intendedFor(payload, settings.audience) ? clientOfToken(payload) : undefined;
    } catch (error) {
      // An unreachable JWKS is an outage, not a bad token: let it surface as one.
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) throw error;
      return undefined;
    }
  };
}

/**
 * Whether the token is meant for this API, as API Gateway's JWT authorizers decide it: `aud` names
 * the audience; a token with no `aud` at all (Cognito's access tokens carry `client_id` instead)
 * passes when its `client_id` is the audience. A token whose `aud` names another API never does.
 */
function intendedFor(payload: JWTPayload, audience: string): boolean {
  if (payload.aud !== undefined) return (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).includes(audience);
  return payload.client_id === audience;
}

/**
 * The scopes of `scope` (space-separated, RFC 8693) or `scp` (a list or a string), keeping only
 * ours; a resource-server prefix (Cognito's `touchpoint-api/customers:read`) is dropped.
 */
export function scopesOfClaims(payload: JWTPayload): Set<Scope> {
  const raw: unknown[] = [];
  if (typeof payload.scope === 'string') raw.push(...payload.scope.split(' '));
  if (typeof payload.scp === 'string') raw.push(...payload.scp.split(' '));
  if (Array.isArray(payload.scp)) raw.push(...payload.scp);
  const granted = new Set<Scope>();
  for (const value of raw) {
    if (typeof value !== 'string') continue;
    const name = value.slice(value.lastIndexOf('/') + 1);
    if (isScope(name)) granted.add(name);
  }
  return granted;
}

function clientOfToken(payload: JWTPayload): AuthenticatedClient {
  const subject = String(payload.sub);
  const client = [payload.client_id, payload.azp].find((value): value is string => typeof value === 'string' && value.length > 0);
  return {
    clientId: `jwt:${subject}`.slice(0, 300),
    clientName: (client ?? subject).slice(0, 100),
    scopes: scopesOfClaims(payload),
  };
}
