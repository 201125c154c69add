import * as z from '../../schemas/zod.ts';
import { batchIdempotencyKey } from '../keys.ts';
import { defineEntity } from './entity.ts';

// An ingest's Idempotency-Key has no item of its own: the locator of the touchpoint id it stands for carries it (items/touchpoint.ts).

/** A batch's Idempotency-Key (`IDEMBATCH#<scope>#<key>`): the digest of the batch it was first sent with. */
export const batchIdempotencyEntity = defineEntity({
  name: 'batchIdempotency',
  attributes: z.object({ requestFingerprint: z.string(), createdAt: z.string(), expiresAt: z.number() }),
  key: batchIdempotencyKey,
});
