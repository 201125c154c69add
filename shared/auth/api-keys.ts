import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys: `tpk_` followed by 32 random bytes (256 bits) in base64url. A key is shown once and
 * stored only as its SHA-256: with that much entropy a fast hash is the right one (a slow password
 * hash buys nothing against brute force of 2^256 and would cost every authorizer call).
 *
 * The key id is derived from the hash, so any key, including a bootstrap key chosen by hand, is
 * found by one GetItem without a secondary index, and the id can be shown and used to revoke.
 */
export const generatedKeyPrefix = 'tpk_';
/** Shorter keys are refused: a bootstrap key is still a credential. */
export const minKeyLength = 16;
export const maxKeyLength = 512;

export function generateApiKey(): string {
  return `${generatedKeyPrefix}${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** 80 bits of the hash: unique in practice, and useless for guessing a 256-bit key. */
export function keyIdOfHash(hash: string): string {
  return `key_${hash.slice(0, 20)}`;
}

export function keyIdOf(key: string): string {
  return keyIdOfHash(hashApiKey(key));
}

/**
 * What a listing shows to recognise a key: a generated key's first 4 secret characters (24 of 256
 * bits), a hand-chosen key's first 4 characters only.
 */
export function displayPrefix(key: string): string {
  return key.startsWith(generatedKeyPrefix) ? `${key.slice(0, generatedKeyPrefix.length + 4)}...` : `${key.slice(0, 4)}...`;
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** The bearer token of an Authorization header, or undefined when there is none of that scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  return match?.[1];
}

export function isPlausibleKey(token: string): boolean {
  return token.length >= minKeyLength && token.length <= maxKeyLength && /^[\x21-\x7e]+$/.test(token);
}
