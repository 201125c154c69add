import { ValidationError } from '../domain/errors.ts';
import { fingerprint } from '../domain/fingerprint.ts';
import { ingestTouchpoint } from '../domain/ingest-touchpoint.ts';
import type { IngestResult } from '../domain/model.ts';
import { customerStore } from '../db/customer-store-instance.ts';
import { idempotencyKeySchema, touchpointInputSchema } from '../schemas/touchpoint.ts';
import { parseWith } from './validation.ts';

/**
 * Validates one posted touchpoint and records it: shared by the single and the batch route so that
 * an item of a batch behaves exactly like a single post.
 */
export async function ingestPostedTouchpoint(
  body: unknown,
  receivedAt: Date,
  headerIdempotencyKey?: string,
): Promise<IngestResult> {
  const input = parseWith(touchpointInputSchema, body);
  const headerKey = headerIdempotencyKey === undefined ? undefined : parseWith(idempotencyKeySchema, headerIdempotencyKey, 'Idempotency-Key');
  if (headerKey && input.idempotencyKey && headerKey !== input.idempotencyKey) {
    throw new ValidationError([
      { path: 'idempotencyKey', message: 'differs from the Idempotency-Key header; send one key' },
    ]);
  }
  const idempotencyKey = headerKey ?? input.idempotencyKey;
  const { idempotencyKey: _key, ...content } = body as Record<string, unknown>;
  return ingestTouchpoint(customerStore(), input, {
    receivedAt,
    requestFingerprint: fingerprint(content),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
}
