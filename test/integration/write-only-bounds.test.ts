import { beforeAll, describe, expect, it } from 'vitest';
import { handler as ingestBatchHandler } from '../../functions/ingest-touchpoint-batch/handler.ts';
import { handler as ingestHandler } from '../../functions/ingest-touchpoint/handler.ts';
import { maxInvoiceQueries } from '../../shared/domain/card.ts';
import { apiEvent, type InvokeResult, invoke } from '../helpers/api-event.ts';
import { authorizerContext } from '../helpers/credentials.ts';
import { createTestTable, scanTable } from '../helpers/dynamodb.ts';
import { getCustomer, recordTouchpoint } from '../helpers/handlers.ts';
import { detailsFor, unique } from '../fixtures/touchpoints.ts';

/**
 * A refusal that depends on what is stored (a customer at a bound) would tell a write-only key
 * that the customer exists and how full it is. Such a key gets the same 202 receipt for a customer
 * at the bound, below it and unknown; a key that may read customers keeps the 422.
 */
const billing = authorizerContext(['touchpoints:write:invoice_query'], 'billing-portal');
const billingThatReads = authorizerContext(['touchpoints:write:invoice_query', 'customers:read'], 'billing-desk');

function post(body: unknown, scopes = billing, headers: Record<string, string> = {}): Promise<InvokeResult> {
  return invoke(ingestHandler, apiEvent({ method: 'POST', routePath: '/v1/touchpoints', body, headers, authorizer: scopes }));
}

function postBatch(body: unknown, scopes = billing): Promise<InvokeResult> {
  return invoke(ingestBatchHandler, apiEvent({ method: 'POST', routePath: '/v1/touchpoints/batch', body, authorizer: scopes }));
}

function openQuery(identifiers: Record<string, string>, queryId = `Q-${unique()}`) {
  return { channel: 'invoice_query', identifiers, details: { ...detailsFor('invoice_query'), queryId, status: 'open' } };
}

/** All a client can read from an answer but the touchpoint id itself (which is the same length for all). */
function shapeOf(answer: InvokeResult) {
  return { status: answer.status, headers: answer.headers, keys: Object.keys(answer.body ?? {}).sort(), length: answer.rawBody.length };
}

let full: { customerId: string; accountId: string };
let belowBound: { customerId: string; accountId: string };
const unknown = { customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB', accountId: 'nobody-has-this-account' };

async function customerWithOpenQueries(count: number) {
  const accountId = `acc-${unique()}`;
  const first = await recordTouchpoint({ ...openQuery({ accountId }), source: 'billing' });
  for (let index = 1; index < count; index += 1) await recordTouchpoint({ ...openQuery({ accountId }), source: 'billing' });
  return { customerId: first.customerId, accountId };
}

beforeAll(async () => {
  await createTestTable();
  full = await customerWithOpenQueries(maxInvoiceQueries);
  belowBound = await customerWithOpenQueries(1);
});

describe('a write-only key opening an invoice query', () => {
  it.each(['customerId', 'accountId'] as const)('gets the same 202 by %s for a customer at the bound, below it and unknown', async (by) => {
    const answers = [await post(openQuery({ [by]: full[by] })), await post(openQuery({ [by]: belowBound[by] })), await post(openQuery({ [by]: unknown[by] }))];

    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ touchpointId: expect.stringMatching(/^tp_[0-9A-HJKMNP-TV-Z]{26}$/) });
    }
    expect(new Set(answers.map((answer) => JSON.stringify(shapeOf(answer)))).size).toBe(1);
  });

  it('stores nothing for the customer at the bound: its card still holds the same open queries', async () => {
    const before = await scanTable();

    await post(openQuery({ customerId: full.customerId }));

    expect(await scanTable()).toEqual(before);
  });

  it('answers a retry with the same key with the same receipt, and a reuse for other content with 409', async () => {
    const key = `q-${unique()}`;
    const body = openQuery({ customerId: full.customerId });
    const first = await post(body, billing, { 'idempotency-key': key });
    const retry = await post(body, billing, { 'idempotency-key': key });
    const reuse = await post(openQuery({ customerId: full.customerId }), billing, { 'idempotency-key': key });

    expect(shapeOf(retry)).toEqual(shapeOf(first));
    expect(retry.body.touchpointId).toBe(first.body.touchpointId);
    expect(reuse.status).toBe(409);
  });

  it('gets the same per-item answer in a batch', async () => {
    const batch = await postBatch({ items: [openQuery({ customerId: full.customerId }), openQuery({ customerId: belowBound.customerId })] });

    expect(batch.status).toBeLessThan(300);
    const items = batch.body.results as Array<Record<string, unknown>>;
    expect(items.map((item) => item.status)).toEqual([202, 202]);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(Object.keys(items[1] ?? {}).sort());
  });
});

describe('a key that may read customers opening an invoice query', () => {
  it('is refused with 422 naming details.queryId at the bound, and stores nothing', async () => {
    const before = await scanTable();

    const answer = await post(openQuery({ customerId: full.customerId }), billingThatReads);

    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: 'details.queryId', message: expect.stringMatching(/40 open invoice queries/) })]);
    expect(await scanTable()).toEqual(before);
    const card = (await getCustomer(full.customerId)).body.card;
    expect(card.openInvoiceQueries).toHaveLength(maxInvoiceQueries);
  });

  it('is recorded below the bound', async () => {
    const answer = await post(openQuery({ customerId: belowBound.customerId }), billingThatReads);

    expect(answer.status).toBe(201);
    expect(answer.body.customerId).toBe(belowBound.customerId);
  });
});
