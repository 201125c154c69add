import { beforeAll, describe, expect, it } from 'vitest';
import { handler as ingestBatchHandler } from '../../functions/ingest-touchpoint-batch/handler.ts';
import { handler as ingestHandler } from '../../functions/ingest-touchpoint/handler.ts';
import type { Scope } from '../../shared/auth/scopes.ts';
import { recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { documentClient } from '../../shared/db/client.ts';
import { openApiDocument } from '../../shared/http/openapi.ts';
import { ingestReceiptSchema, ingestResultSchema } from '../../shared/schemas/touchpoint.ts';
import { apiEvent, type InvokeResult, invoke } from '../helpers/api-event.ts';
import { authorizerContext } from '../helpers/credentials.ts';
import { createTestTable, itemsOfEntity, scanTable } from '../helpers/dynamodb.ts';
import { getTimeline, recordTouchpoint } from '../helpers/handlers.ts';
import { eraseCustomer } from '../helpers/privacy-handlers.ts';
import { detailsFor, unique, uniqueEmail } from '../fixtures/touchpoints.ts';

/**
 * A key with write scopes alone (a website's, embedded in a public page) must learn nothing about
 * customers from an ingest: whatever the identifiers mean, the answer is the same receipt.
 */
const website = authorizerContext(['touchpoints:write:web_visit'], 'public-site');
const websiteThatReads = authorizerContext(['touchpoints:write:web_visit', 'customers:read'], 'public-site');

function post(body: unknown, scopes = website, headers: Record<string, string> = {}): Promise<InvokeResult> {
  return invoke(ingestHandler, apiEvent({ method: 'POST', routePath: '/v1/touchpoints', body, headers, authorizer: scopes }));
}

function postBatch(body: unknown, scopes = website, headers: Record<string, string> = {}): Promise<InvokeResult> {
  return invoke(ingestBatchHandler, apiEvent({ method: 'POST', routePath: '/v1/touchpoints/batch', body, headers, authorizer: scopes }));
}

function visit(identifiers: Record<string, string>, url = 'https://shop.example/pricing') {
  return { channel: 'web_visit', identifiers, details: { ...detailsFor('web_visit'), url } };
}

/** The identifiers of each kind of customer a prober might send. */
interface Probes {
  known: Record<string, string>;
  unknown: Record<string, string>;
  suppressed: Record<string, string>;
  unknownCustomerId: Record<string, string>;
  knownCustomerId: Record<string, string>;
}

async function arrangeProbes(): Promise<Probes & { knownCustomer: string; suppressedEmail: string }> {
  const knownEmail = uniqueEmail();
  const known = await recordTouchpoint({ channel: 'email', identifiers: { email: knownEmail }, source: 'mail', details: detailsFor('email') });
  const suppressedEmail = uniqueEmail();
  const erased = await recordTouchpoint({ channel: 'email', identifiers: { email: suppressedEmail }, source: 'mail', details: detailsFor('email') });
  const erase = await eraseCustomer(erased.customerId, { suppress: 'true' });
  if (erase.status !== 200) throw new Error(`Arranging the erase failed with ${erase.status}: ${erase.rawBody}`);
  return {
    knownCustomer: known.customerId,
    suppressedEmail,
    known: { email: knownEmail },
    unknown: { email: uniqueEmail() },
    suppressed: { email: suppressedEmail },
    // Well-formed, and nobody has it.
    unknownCustomerId: { customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB', anonymousId: `ck-${unique()}` },
    knownCustomerId: { customerId: known.customerId, anonymousId: `ck-${unique()}` },
  };
}

const kinds = ['known', 'unknown', 'suppressed', 'unknownCustomerId', 'knownCustomerId'] as const;

/** Everything a client can read from an answer but the touchpoint id itself. */
function shapeOf(answer: InvokeResult) {
  return { status: answer.status, headers: answer.headers, keys: Object.keys(answer.body ?? {}).sort() };
}

let probes: Awaited<ReturnType<typeof arrangeProbes>>;

beforeAll(async () => {
  await createTestTable();
  probes = await arrangeProbes();
});

describe('a write-only key posting a touchpoint', () => {
  it('gets 202 with the touchpoint id alone, the same for known, unknown and suppressed identifiers and any customer id', async () => {
    const answers = await Promise.all(kinds.map((kind) => post(visit(probes[kind]))));

    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ touchpointId: expect.stringMatching(/^tp_[0-9A-HJKMNP-TV-Z]{26}$/) });
    }
    expect(new Set(answers.map((answer) => JSON.stringify(shapeOf(answer)))).size).toBe(1);
  });

  it('stores the touchpoint of a known identifier on its customer', async () => {
    const answer = await post(visit(probes.known, 'https://shop.example/known'));

    const timeline = await getTimeline(probes.knownCustomer);

    expect(timeline.body.items.map((item: { touchpointId: string }) => item.touchpointId)).toContain(answer.body.touchpointId);
  });

  it('stores nothing for a suppressed identifier', async () => {
    const before = await scanTable();

    await post(visit(probes.suppressed));

    expect(await scanTable()).toEqual(before);
    expect(JSON.stringify(await scanTable())).not.toContain(probes.suppressedEmail);
  });

  it('stores nothing for a customer id nobody has', async () => {
    const before = await scanTable();

    await post(visit(probes.unknownCustomerId));

    expect(await scanTable()).toEqual(before);
  });

  it.each(kinds)('answers a retry with the same key like the first time (%s)', async (kind) => {
    const key = `visit-${unique()}`;
    const first = await post(visit(probes[kind]), website, { 'idempotency-key': key });

    const retry = await post(visit(probes[kind]), website, { 'idempotency-key': key });

    expect(shapeOf(retry)).toEqual(shapeOf(first));
    expect(retry.body.touchpointId).toBe(first.body.touchpointId);
  });

  it.each(kinds)('answers a reuse of the key for other content with the same 409 (%s)', async (kind) => {
    const key = `visit-${unique()}`;
    await post(visit(probes[kind]), website, { 'idempotency-key': key });

    const reuse = await post(visit(probes[kind], 'https://shop.example/other'), website, { 'idempotency-key': key });

    expect(reuse.status).toBe(409);
    expect(reuse.body.type).toMatch(/idempotency-conflict$/);
  });

  it('keeps no identifier and no customer in what it keeps for a discarded retry', async () => {
    const key = `visit-${unique()}`;

    const answer = await post(visit(probes.suppressed), website, { 'idempotency-key': key });

    const receipts = (await itemsOfEntity('discardedTouchpoint')).filter(
      (item) => (item.result as { touchpointId?: string }).touchpointId === answer.body.touchpointId,
    );
    expect(receipts).toHaveLength(1);
    expect(JSON.stringify(receipts)).not.toMatch(/@|cus_/);
  });

  it('gets a receipt per batch item, the same for every kind of identifier', async () => {
    const response = await postBatch({ items: kinds.map((kind) => visit(probes[kind])) });

    expect(response.status).toBe(207);
    for (const result of response.body.results) {
      expect(result).toEqual({ status: 202, touchpointId: expect.stringMatching(/^tp_/) });
    }
  });

  it('still learns of its own mistakes: a bad body is a 422, another channel a 403', async () => {
    const bad = await post(visit({ email: 'not an email' }));
    const otherChannel = await post({ channel: 'call', identifiers: probes.unknown, details: detailsFor('call') });

    expect(bad.status).toBe(422);
    expect(otherChannel.status).toBe(403);
  });
});

describe('a key that may read customers posting the same touchpoints', () => {
  it('gets the full answer: the customer and whether it was created', async () => {
    const answer = await post(visit(probes.known), websiteThatReads);

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ customerId: probes.knownCustomer, customerCreated: false, replayed: false });
  });

  it('is told that an identifier is suppressed (409) and that a customer id is unknown (422)', async () => {
    const suppressed = await post(visit(probes.suppressed), websiteThatReads);
    const unknownCustomer = await post(visit(probes.unknownCustomerId), websiteThatReads);

    expect(suppressed.status).toBe(409);
    expect(suppressed.body.type).toMatch(/identifier-suppressed$/);
    expect(unknownCustomer.status).toBe(422);
    expect(unknownCustomer.body.errors).toEqual([expect.objectContaining({ path: 'identifiers.customerId' })]);
  });

  it('meets the same refusal when it replays what a write-only key of its name had discarded', async () => {
    const key = `visit-${unique()}`;
    await post(visit(probes.unknownCustomerId), website, { 'idempotency-key': key });

    const replay = await post(visit(probes.unknownCustomerId), websiteThatReads, { 'idempotency-key': key });

    expect(replay.status).toBe(422);
  });

  it.each<{ extra: Scope[] }>([{ extra: [] }, { extra: ['customers:write'] }, { extra: ['identity:merge', 'privacy:export'] }])(
    'is answered with the receipt by write scopes plus $extra without customers:read',
    async ({ extra }) => {
      const answer = await post(visit(probes.known), authorizerContext(['touchpoints:write:*', ...extra], 'public-site'));

      expect(answer.status).toBe(202);
      expect(Object.keys(answer.body)).toEqual(['touchpointId']);
    },
  );
});

describe('the documented ingest answers', () => {
  it('match what each kind of client gets', async () => {
    const receipt = await post(visit(probes.unknown));
    const full = await post(visit(probes.unknown), websiteThatReads);

    expect(ingestReceiptSchema.safeParse(receipt.body).success).toBe(true);
    expect(ingestReceiptSchema.safeParse(full.body).success).toBe(false);
    expect(ingestResultSchema.safeParse(full.body).success).toBe(true);
  });

  it('name the receipt as the 202 of the single route and as a result of the batch route', () => {
    const { paths, components } = openApiDocument();

    expect(JSON.stringify(paths?.['/v1/touchpoints']?.post?.responses?.['202'])).toContain('IngestReceipt');
    expect(JSON.stringify(paths?.['/v1/touchpoints/batch']?.post?.responses?.['207'])).toContain('#/components/schemas/BatchResults');
    expect(JSON.stringify(components?.schemas?.BatchResults)).toContain('#/components/schemas/BatchIngestReceipt');
    expect(components?.schemas?.IngestReceipt).toBeDefined();
  });
});

describe('a write-only key sending a batch with an Idempotency-Key', () => {
  it('gets the same receipts when it sends the batch again, whatever each item meant', async () => {
    const body = { items: kinds.map((kind) => visit(probes[kind])) };
    const headers = { 'idempotency-key': `site-batch-${unique()}` };
    const first = await postBatch(body, website, headers);

    const again = await postBatch(body, website, headers);

    expect(again.body).toEqual(first.body);
    expect(first.body.results.every((result: { status: number }) => result.status === 202)).toBe(true);
  });
});

describe('what the receipt costs', () => {
  async function commandsOf(send: () => Promise<unknown>): Promise<string[]> {
    const recorder = recordDynamoDbCalls(documentClient());
    try {
      await send();
      return recorder.calls.map((call) => call.command);
    } finally {
      recorder.detach();
    }
  }

  it('makes the round trips of a stored touchpoint for a discarded one, with a key or without, so its answer comes no sooner', async () => {
    const stored = await commandsOf(() => post(visit({ email: uniqueEmail() })));
    const storedWithKey = await commandsOf(() => post(visit({ email: uniqueEmail() }), website, { 'idempotency-key': `visit-${unique()}` }));
    const discarded = await commandsOf(() => post(visit(probes.suppressed)));
    const unknownCustomer = await commandsOf(() => post(visit(probes.unknownCustomerId)));
    const discardedWithKey = await commandsOf(() => post(visit(probes.suppressed), website, { 'idempotency-key': `visit-${unique()}` }));

    const oneReadOneTransaction = ['BatchGetItemCommand', 'TransactWriteItemsCommand'];
    expect([stored, storedWithKey, discarded, unknownCustomer, discardedWithKey]).toEqual([
      oneReadOneTransaction,
      oneReadOneTransaction,
      oneReadOneTransaction,
      oneReadOneTransaction,
      oneReadOneTransaction,
    ]);
  });

  it('adds one write per batch for its Idempotency-Key', async () => {
    // First contacts: a card written whole, so the count does not depend on the card's fast path.
    const withoutKey = await commandsOf(() => postBatch({ items: [visit({ email: uniqueEmail() })] }));
    const withKey = await commandsOf(() => postBatch({ items: [visit({ email: uniqueEmail() })] }, website, { 'idempotency-key': `site-batch-${unique()}` }));

    expect(withoutKey).toEqual(['BatchGetItemCommand', 'TransactWriteItemsCommand']);
    expect(withKey).toEqual(['PutItemCommand', 'BatchGetItemCommand', 'TransactWriteItemsCommand']);
  });
});
