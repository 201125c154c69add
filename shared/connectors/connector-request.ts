import type { AuthenticatedClient } from '../auth/client.ts';
import type { Channel } from '../domain/channels.ts';
import { type ApiEvent, maxBodyBytes } from '../http/api-handler.ts';
import { type IngestAnswer, ingestPostedTouchpoint } from '../http/ingest-request.ts';
import { HttpProblemError, problem } from '../http/problems.ts';
import { logger } from '../observability/logger.ts';

/**
 * What every connector shares: the raw body its signature covers, its refusals, and recording a
 * mapped touchpoint through the API's own ingest, exactly once per upstream event.
 */

/** The body exactly as the sender signed it (API Gateway base64-encodes bodies it deems binary). */
export function rawBodyOf(event: ApiEvent): string {
  const raw = typeof event.body === 'string' ? event.body : '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > maxBodyBytes) {
    throw new HttpProblemError(problem(413, 'payload-too-large', 'Payload too large', `The body may be at most ${maxBodyBytes / 1024} KB.`));
  }
  return text;
}

export function parseJsonBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpProblemError(problem(400, 'malformed-json', 'Malformed JSON', 'The body is not valid JSON.'));
  }
}

/** A request whose sender could not be verified: nothing of it is read further, and the log says only why. */
export function unverified(connector: string, reason: string): HttpProblemError {
  logger.warn('Connector request refused: sender not verified', { connector, reason });
  return new HttpProblemError(problem(401, 'unverified-sender', 'Unverified sender', `The request's ${connector} signature did not verify.`));
}

/** A verified payload this connector cannot turn into a touchpoint: stored nowhere, logged by kind only. */
export function unmappable(connector: string, detail: string, facts: Record<string, string | number | undefined> = {}): HttpProblemError {
  logger.warn('Connector payload not mapped', { connector, detail, ...facts });
  return new HttpProblemError(problem(422, 'unmappable-payload', 'Payload not mapped', detail));
}

/** The connector as an ingest client: write-only on its channels, its touchpoints' source its name. */
export function connectorClient(connector: string, channels: readonly Channel[]): AuthenticatedClient {
  return {
    clientId: `connector:${connector}`,
    clientName: connector,
    scopes: new Set(channels.map((channel) => `touchpoints:write:${channel}` as const)),
  };
}

/**
 * Records a mapped touchpoint keyed on the upstream event's id: a redelivery (the sender's retry)
 * is a replay of the first (a sender that names no id gets no dedupe). The connector holds no read scope, so it gets the ingest's write-only
 * receipt: a suppressed (erased) identifier is dropped there, answered like a stored touchpoint,
 * which stops the sender's retries without telling it anything.
 */
export function recordConnectorTouchpoint(
  client: AuthenticatedClient,
  touchpoint: Record<string, unknown>,
  upstreamEventId: string | undefined,
  receivedAt: Date,
): Promise<IngestAnswer> {
  return ingestPostedTouchpoint(touchpoint, { receivedAt, ...(upstreamEventId ? { derivedIdempotencyKey: upstreamEventId } : {}) }, client);
}
