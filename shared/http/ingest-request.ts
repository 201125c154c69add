import { mayWriteChannel } from '../auth/access.ts';
import { type AuthenticatedClient, forbidden } from '../auth/client.ts';
import { assertSourceAllowed, withClientSource } from '../auth/source.ts';
import { InvoiceQueriesFullError } from '../domain/card.ts';
import { SuppressedIdentifierError, UnknownCustomerError, ValidationError } from '../domain/errors.ts';
import { fingerprint } from '../domain/fingerprint.ts';
import { newTouchpointId } from '../domain/ids.ts';
import { type IngestContext, ingestTouchpoint } from '../domain/ingest-touchpoint.ts';
import type { LaneTouchpoint } from '../domain/ingest-lane.ts';
import type { IngestResult } from '../domain/model.ts';
import { customerStore } from '../db/customer-store-instance.ts';
import { type DiscardReason, discardReasonOf, idempotencyStore } from '../db/idempotency-store.ts';
import { logger } from '../observability/logger.ts';
import { idempotencyKeySchema } from '../schemas/common.ts';
import { type TouchpointInput, touchpointInputSchema } from '../schemas/touchpoint.ts';
import { parseWith } from './validation.ts';

/**
 * What an ingest answers. A client that may read customers gets the full result: which customer,
 * whether it was created, merges (201, or 200 for a replay). A write-only client (a website's key,
 * embedded in a public page) gets a receipt, and the same receipt whatever the identifiers meant:
 * known, unknown, suppressed, or a customer id nobody has. Anything more would let it probe who
 * is a customer.
 */
export type IngestAnswer = { status: 200 | 201; body: IngestResult } | { status: 202; body: { touchpointId: string } };

/** A posted touchpoint as validated at the edge, with what recording it needs. */
export interface PreparedTouchpoint extends LaneTouchpoint {
  input: TouchpointInput;
}

export interface IngestOptions {
  receivedAt: Date;
  /** The `Idempotency-Key` header of a single post: it and the body's key must agree. */
  idempotencyHeader?: string;
  /** A key of the server's making (a batch item's), used when the body names none. */
  derivedIdempotencyKey?: string;
}

/** Reading customers is what the full answer needs: it names one. */
export function mayLearnCustomers(client: AuthenticatedClient): boolean {
  return client.scopes.has('customers:read');
}

/**
 * Validates one posted touchpoint, records it and answers for it: shared by the single and the
 * batch route so that an item of a batch behaves exactly like a single post.
 *
 * The client is the authenticated caller. Its write scope must cover the touchpoint's channel (the
 * authorizer cannot see the body, so this is checked here, per touchpoint). The `source` is the
 * client's name: the body's `source` may be left out, or must equal it; only a client holding
 * `touchpoints:relay` (an integration hub posting for the systems behind it) may name another.
 */
export async function ingestPostedTouchpoint(body: unknown, options: IngestOptions, client: AuthenticatedClient): Promise<IngestAnswer> {
  return recordPostedTouchpoint(preparePostedTouchpoint(body, options, client), client);
}

/** A posted touchpoint validated and authorised, ready to record: its 4xx is thrown here, before anything is read. */
export function preparePostedTouchpoint(body: unknown, options: IngestOptions, client: AuthenticatedClient): PreparedTouchpoint {
  const posted = withClientSource(body, client);
  const input = parseWith(touchpointInputSchema, posted);
  authorizeTouchpoint(input, client);
  const headerKey = options.idempotencyHeader === undefined ? undefined : parseWith(idempotencyKeySchema, options.idempotencyHeader, 'Idempotency-Key');
  if (headerKey && input.idempotencyKey && headerKey !== input.idempotencyKey) {
    throw new ValidationError([{ path: 'idempotencyKey', message: 'differs from the Idempotency-Key header; send one key' }]);
  }
  const idempotencyKey = headerKey ?? input.idempotencyKey ?? options.derivedIdempotencyKey;
  const { idempotencyKey: _key, ...content } = posted as Record<string, unknown>;
  const context: IngestContext = {
    receivedAt: options.receivedAt,
    requestFingerprint: fingerprint(content),
    log: logger,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
  return { input, context };
}

/** Records a prepared touchpoint on its own and answers for it. */
export function recordPostedTouchpoint({ input, context }: PreparedTouchpoint, client: AuthenticatedClient): Promise<IngestAnswer> {
  return mayLearnCustomers(client) ? fullAnswer(input, context) : receipt(input, context, client);
}

/** The answer for a touchpoint recorded with others of its sender (always a known customer, nothing discarded). */
export function recordedAnswer(result: IngestResult, client: AuthenticatedClient): IngestAnswer {
  return mayLearnCustomers(client) ? { status: 201, body: result } : { status: 202, body: { touchpointId: result.touchpointId } };
}

async function fullAnswer(input: TouchpointInput, context: IngestContext): Promise<IngestAnswer> {
  const result = await ingestTouchpoint(customerStore(), input, context);
  // A replay of what a write-only key of the same name had discarded: the refusal this client meets.
  const discarded = discardReasonOf(result);
  if (discarded === 'identifier-suppressed') throw new SuppressedIdentifierError();
  if (discarded === 'unknown-customer') throw new UnknownCustomerError();
  if (discarded === 'invoice-queries-full') throw new InvoiceQueriesFullError();
  return { status: result.replayed ? 200 : 201, body: result };
}

/**
 * The write-only answer. A touchpoint whose identifier is suppressed is not stored (the erased
 * customer asked not to be recorded again), nor one naming a customer id nobody has (there is no
 * customer to put it on, and guessing one would be worse), nor one its customer's bounds refuse
 * (a 422 would say that the customer exists and is full): all are answered like a stored one.
 * With an idempotency key the receipt is kept, so that a retry and a reuse of the key answer as
 * they would for a stored touchpoint.
 */
async function receipt(input: TouchpointInput, context: IngestContext, client: AuthenticatedClient): Promise<IngestAnswer> {
  let touchpointId: string;
  try {
    touchpointId = (await ingestTouchpoint(customerStore(), input, context)).touchpointId;
  } catch (error) {
    const reason = discardReasonOfError(error);
    if (!reason) throw error;
    logger.info('Touchpoint of a write-only client discarded', { reason, clientId: client.clientId, channel: input.channel });
    touchpointId = await idempotencyStore().keepDiscarded({
      ...(context.idempotencyKey ? { ref: { scope: input.source, key: context.idempotencyKey } } : {}),
      requestFingerprint: context.requestFingerprint,
      touchpointId: newTouchpointId(),
      reason,
      at: context.receivedAt,
    });
  }
  return { status: 202, body: { touchpointId } };
}

/**
 * The refusals that depend on what is stored rather than on the request: the ones a write-only
 * client must not see. A new refusal of that kind (a BoundReachedError, say) belongs here. The
 * bounds an ingest can reach: open invoice queries (refused, so discarded here); identifiers per
 * customer (the touchpoint is recorded without attaching them: nothing to hide).
 */
function discardReasonOfError(error: unknown): DiscardReason | undefined {
  if (error instanceof SuppressedIdentifierError) return 'identifier-suppressed';
  if (error instanceof UnknownCustomerError) return 'unknown-customer';
  if (error instanceof InvoiceQueriesFullError) return 'invoice-queries-full';
  return undefined;
}

function authorizeTouchpoint(input: TouchpointInput, client: AuthenticatedClient): void {
  if (!mayWriteChannel(client.scopes, input.channel)) {
    throw forbidden(`This credential may not post ${input.channel} touchpoints (it needs touchpoints:write:${input.channel}).`);
  }
  assertSourceAllowed(input.source, client);
}

/** Binds a batch's Idempotency-Key to the batch's digest: the same key with another batch is a 409 and stores nothing. */
export function claimBatch(client: AuthenticatedClient, key: string, batch: unknown, at: Date): Promise<void> {
  return idempotencyStore().claimBatch({ scope: client.clientName, key, requestFingerprint: fingerprint(batch), at });
}
