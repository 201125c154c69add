import { HttpProblemError, problem } from '../http/problems.ts';
import type { KeyKind } from '../schemas/api-key.ts';
import { isPlausibleKey } from './api-keys.ts';
import type { AuthenticatedClient } from './client.ts';
import type { Scope } from './scopes.ts';

export interface PublicKeyRecord {
  keyId: string;
  name: string;
  scopes: readonly Scope[];
  kind: KeyKind;
  allowedOrigins: readonly string[];
  revokedAt: string | null;
}

export type FindKey = (key: string) => Promise<PublicKeyRecord | undefined>;

/** The query parameter that carries a public key: a page's sendBeacon cannot send an Authorization header. */
export const publicKeyParameter = 'key';

/**
 * The caller of the web route: a public key, named in the URL, used from one of its allowed
 * origins. The Origin header is what a browser cannot be made to lie about; a script outside a
 * browser can, so the origin binding keeps other sites' pages from using the key, not servers
 * (rate limits and the write-only answer bound what those can do). API Gateway runs no authorizer
 * on this route (a preflight carries no credential), so the route checks the key itself, with
 * the same rules as the authorizer for unknown and revoked keys.
 */
export async function authenticatePublicKey(
  request: { key: string | undefined; origin: string | undefined },
  findKey: FindKey,
): Promise<{ client: AuthenticatedClient; origin: string }> {
  if (!request.key) {
    throw new HttpProblemError(problem(401, 'unauthenticated', 'Unauthenticated', `Name the site's public key in the ${publicKeyParameter} query parameter.`));
  }
  const record = isPlausibleKey(request.key) ? await findKey(request.key) : undefined;
  if (!record || record.revokedAt || record.kind !== 'public') {
    // One answer for unknown, revoked and secret keys: a page must never hold a secret key, and a
    // guesser learns nothing about which keys exist.
    throw refused('invalid-public-key', 'The key is not a live public key. Create one with kind "public" for this site.');
  }
  if (!request.origin) {
    throw refused('origin-required', 'A public key is accepted only from a page of its sites, and this request has no Origin header.');
  }
  if (!record.allowedOrigins.includes(request.origin)) {
    throw refused('origin-not-allowed', `The origin ${request.origin} is not one this public key is bound to.`);
  }
  return { client: { clientId: record.keyId, clientName: record.name, scopes: new Set(record.scopes) }, origin: request.origin };
}

function refused(slug: string, detail: string): HttpProblemError {
  // Vary even on refusals: a cache must not serve one origin's answer to another.
  return new HttpProblemError(problem(403, slug, 'Forbidden', detail), { vary: 'Origin' });
}

/** CORS for exactly the origin the key allowed: never a wildcard, and no credentials (the snippet sends no cookies to the API). */
export function corsHeaders(origin: string): Record<string, string> {
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}
