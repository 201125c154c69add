import * as z from 'zod';
import { batchIdempotencyKey, idempotencyKey } from '../keys.ts';
import { defineEntity, isRecord } from './entity.ts';

/** An ingest's Idempotency-Key (`IDEM#<scope>#<key>`): the request's digest and what it answered. */
export const idempotencyEntity = defineEntity({
  name: 'idempotency',
  attributes: z.object({
    requestFingerprint: z.string(),
    /** What the first request answered: an ingest's result, or a discarded touchpoint's receipt. */
    result: z.custom<object>(isRecord),
    createdAt: z.string(),
    expiresAt: z.number(),
  }),
  key: idempotencyKey,
});

/** A batch's Idempotency-Key (`IDEMBATCH#<scope>#<key>`): the digest of the batch it was first sent with. */
export const batchIdempotencyEntity = defineEntity({
  name: 'batchIdempotency',
  attributes: z.object({ requestFingerprint: z.string(), createdAt: z.string(), expiresAt: z.number() }),
  key: batchIdempotencyKey,
});
