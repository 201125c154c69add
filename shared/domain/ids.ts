import { createHash, randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { IdempotencyRef } from './customer-store.ts';

const randomPool = new Uint8Array(4096);
let poolOffset = randomPool.length;

/**
 * One CSPRNG byte as a fraction of 1, as ulid's own generator draws it, but from a pool filled 4 KB
 * at a time: ulid's default makes one `crypto.getRandomValues` call per character, 16 for each id
 * made in a new millisecond (75 µs an id on the bench machine, more than the adapter and the whole
 * middleware stack take for a request), and in Lambda nearly every id is the first of its millisecond.
 */
function randomFraction(): number {
  if (poolOffset === randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  return (randomPool[poolOffset++] as number) / 256;
}

/** A ULID generator; monotonic: ids made in the same millisecond still sort in the order they were made. */
export const ulidGenerator = () => monotonicFactory(randomFraction);

const nextUlid = ulidGenerator();

export const newCustomerId = () => `cus_${nextUlid()}`;
export const newTouchpointId = () => `tp_${nextUlid()}`;
export const newMergeId = () => `mrg_${nextUlid()}`;
/** Tells one request's attempts apart from another request sent with the same Idempotency-Key. */
export const newRequestId = () => `req_${nextUlid()}`;

/** Crockford's base32, the ULID alphabet. */
const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The touchpoint id an Idempotency-Key stands for, the same on every retry: so the touchpoint's own
 * locator, written only if absent, is the exactly-once guard, and no idempotency record is needed
 * beside it. A ULID in form (26 characters of base32 whose first is at most 7, as the API
 * documents) from a SHA-256 of the scope and the key; it does not sort by time, which nothing needs
 * of a touchpoint id (the timeline sorts by occurredAt first).
 */
export function touchpointIdFor(ref: IdempotencyRef): string {
  const digest = createHash('sha256').update(ref.scope).update('\u0000').update(ref.key).digest();
  let bits = 0n;
  // 128 bits, as in a ULID: 26 base32 digits, the first of them 0-7.
  for (const byte of digest.subarray(0, 16)) bits = (bits << 8n) | BigInt(byte);
  let id = '';
  for (let index = 0; index < 26; index += 1) {
    id = (crockford[Number(bits & 31n)] as string) + id;
    bits >>= 5n;
  }
  return `tp_${id}`;
}
