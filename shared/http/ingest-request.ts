import { mayWriteChannel } from '../auth/access.ts';
import { type AuthenticatedClient, forbidden } from '../auth/client.ts';
import { assertSourceAllowed, withClientSource } from '../auth/source.ts';
import { ValidationError } from '../domain/errors.ts';
import { fingerprint } from '../domain/fingerprint.ts';
import { ingestTouchpoint } from '../domain/ingest-touchpoint.ts';
import type { IngestResult } from '../domain/model.ts';
import { customerStore } from '../db/customer-store-instance.ts';
import { idempotencyKeySchema, type TouchpointInput, touchpointInputSchema } from '../schemas/touchpoint.ts';
import { parseWith } from './validation.ts';

/**
 * Validates one posted touchpoint and records it: shared by the single and the batch route so that
 * an item of a batch behaves exactly like a single post.
 *
 * The client is the authenticated caller. Its write scope must cover the touchpoint's channel (the
 * authorizer cannot see the body, so this is checked here, per touchpoint). The `source` is the
 * client's name: the body's `source` may be left out, or must equal it; only a client holding
 * `touchpoints:relay` (an integration hub posting for the systems behind it) may name another.
 */
export async function ingestPostedTouchpoint(
  body: unknown,
  receivedAt: Date,
  headerIdempotencyKey: string | undefined,
  client: AuthenticatedClient,
): Promise<IngestResult> {
  const posted = withClientSource(body, client);
  const input = parseWith(touchpointInputSchema, posted);
  authorizeTouchpoint(input, client);
  const headerKey = headerIdempotencyKey === undefined ? undefined : parseWith(idempotencyKeySchema, headerIdempotencyKey, 'Idempotency-Key');
  if (headerKey && input.idempotencyKey && headerKey !== input.idempotencyKey) {
    throw new ValidationError([
      { path: 'idempotencyKey', message: 'differs from the Idempotency-Key header; send one key' },
    ]);
  }
  const idempotencyKey = headerKey ?? input.idempotencyKey;
  const { idempotencyKey: _key, ...content } = posted as Record<string, unknown>;
  return ingestTouchpoint(customerStore(), input, {
    receivedAt,
    requestFingerprint: fingerprint(content),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
}

function authorizeTouchpoint(input: TouchpointInput, client: AuthenticatedClient): void {
  if (!mayWriteChannel(client.scopes, input.channel)) {
    throw forbidden(`This credential may not post ${input.channel} touchpoints (it needs touchpoints:write:${input.channel}).`);
  }
  assertSourceAllowed(input.source, client);
}
