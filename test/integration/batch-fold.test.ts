import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler as ingestBatchHandler } from '../../functions/ingest-touchpoint-batch/handler.ts';
import { type CallRecorder, recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { documentClient } from '../../shared/db/client.ts';
import { type FaultInjector, type FaultKind, injectDynamoDbFaults } from '../../shared/db/fault-injection.ts';
import { apiEvent, type InvokeResult, invoke } from '../helpers/api-event.ts';
import { authorizerContext } from '../helpers/credentials.ts';
import { countItems, createTestTable, itemsOfEntity } from '../helpers/dynamodb.ts';
import { getCustomer, getTimeline, lookupCustomer, postBatch, postTouchpoint, recordTouchpoint } from '../helpers/handlers.ts';
import { detailsFor, minutesAgo, touchpointBody, unique, uniqueEmail } from '../fixtures/touchpoints.ts';

/**
 * A sender's lane of a batch going to one known customer is folded: one read and one transaction
 * with one card update (test/integration/dynamodb-call-budget.test.ts pins the round trips,
 * card-write-cost.test.ts the units). Here: the same customer as one by one, faults that store
 * nothing, and the cases that fall back to recording each item alone.
 */

beforeAll(async () => {
  await createTestTable();
});

let faults: FaultInjector | undefined;
let recorder: CallRecorder | undefined;

afterEach(() => {
  faults?.detach();
  faults = undefined;
  recorder?.detach();
  recorder = undefined;
});

const statuses = (response: InvokeResult) => response.body.results.map((result: { status: number }) => result.status);
const commands = () => (recorder?.calls ?? []).map((call) => call.command.replace(/Command$/, ''));
/** Every round trip, a rejected one marked with `!`. */
const roundTrips = () => (recorder?.calls ?? []).map((call) => `${call.command.replace(/Command$/, '')}${call.failed ? '!' : ''}`);

/** A returning visitor past the first frequency thresholds (3 and 10), last seen ten minutes ago. */
async function knownVisitor(): Promise<{ anonymousId: string; customerId: string }> {
  const anonymousId = `cookie-${unique()}`;
  let customerId = '';
  for (let index = 12; index >= 1; index -= 1) {
    ({ customerId } = await recordTouchpoint(touchpointBody({ channel: 'chat', identifiers: { anonymousId }, occurredAt: minutesAgo(10 + index) })));
  }
  return { anonymousId, customerId };
}

function visits(identifiers: Record<string, string>, count: number, keyed = true) {
  return Array.from({ length: count }, (_, index) =>
    touchpointBody({
      channel: 'web_visit',
      identifiers,
      occurredAt: minutesAgo(count - index),
      details: { ...detailsFor('web_visit'), url: `https://www.example.org/${unique()}` },
      ...(keyed ? { idempotencyKey: `web-${unique()}` } : {}),
    }),
  );
}

async function touchpointsOf(customerId: string): Promise<number> {
  return (await itemsOfEntity('touchpoint')).filter((item) => item.customerId === customerId).length;
}

describe('a folded lane is the customer one by one would make', () => {
  const channels = ['call', 'email', 'chat', 'web_visit'] as const;
  // Mostly live; now and then a late arrival (the card's late contacts) or a backfill (too old to fold: the lane falls back).
  const when = fc.oneof(
    { arbitrary: fc.constant('live' as const), weight: 20 },
    { arbitrary: fc.constant('late' as const), weight: 3 },
    { arbitrary: fc.constant('backfill' as const), weight: 1 },
  );
  const value = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 200, max: 6000 }));
  // Up to 20 earlier touchpoints: past the thresholds of 3 and 10 there is room for a lane's fast update.
  const historyArbitrary = fc.array(fc.record({ channel: fc.constantFrom(...channels), value }), { maxLength: 20 });
  // Half web visits: a lane of five or more fills the card's pages by itself.
  const laneChannel = fc.oneof(
    { arbitrary: fc.constant('web_visit' as const), weight: 3 },
    fc.constantFrom('call' as const, 'email' as const, 'chat' as const),
  );
  const laneArbitrary = fc.integer({ min: 2, max: 8 }).chain((length) =>
    fc.tuple(
      fc.array(fc.record({ channel: laneChannel, value, when }), { minLength: length, maxLength: length }),
      // Distinct instants: on a tie of two contacts, which one the card shows is not what this is about.
      fc.uniqueArray(fc.integer({ min: 1, max: 5_000 }), { minLength: length, maxLength: length }),
    ),
  );
  const propertyRuns = Number(process.env.PROPERTY_RUNS ?? 16);
  let folded = 0;
  let fast = 0;

  const sinceNow = { live: 0, late: 7 * 3_600_000, backfill: 40 * 86_400_000 };
  const body = (identifiers: Record<string, string>, item: { channel: (typeof channels)[number]; value: number }, occurredAt: string, summary: string) =>
    touchpointBody({
      channel: item.channel,
      identifiers,
      occurredAt,
      summary,
      ...(item.value > 0 ? { value: item.value } : {}),
      details:
        item.channel === 'web_visit'
          ? { ...detailsFor('web_visit'), url: `https://www.example.org/${summary.replaceAll(' ', '-')}` }
          : detailsFor(item.channel),
    });
  const cardOf = async (customerId: string) => {
    const { card } = (await getCustomer(customerId)).body;
    const { freshness: _freshness, lastContact, ...rest } = card;
    return { ...rest, lastContact: lastContact && { channel: lastContact.channel, occurredAt: lastContact.occurredAt, summary: lastContact.summary } };
  };
  const timelineOf = async (customerId: string) =>
    (await getTimeline(customerId, { limit: '100' })).body.items.map((item: Record<string, unknown>) => ({
      channel: item.channel,
      occurredAt: item.occurredAt,
      summary: item.summary,
      value: item.value,
      details: item.details,
    }));

  it(
    'gives the same card and timeline as posting the same touchpoints one by one',
    async () => {
      await fc.assert(
        fc.asyncProperty(historyArbitrary, laneArbitrary, async (history, [lane, offsets]) => {
          const now = Date.now();
          const batched = { anonymousId: `cookie-${unique()}` };
          const single = { anonymousId: `cookie-${unique()}` };
          for (const [index, item] of history.entries()) {
            const occurredAt = new Date(now - (6_000 + (history.length - index) * 10) * 1000).toISOString();
            for (const identifiers of [batched, single])
              expect((await postTouchpoint(body(identifiers, item, occurredAt, `history ${index}`))).status).toBe(201);
          }
          const occurredAt = lane.map((item, index) => new Date(now - sinceNow[item.when] - (offsets[index] as number) * 1000).toISOString());

          recorder = recordDynamoDbCalls(documentClient());
          const batch = await postBatch({ items: lane.map((item, index) => body(batched, item, occurredAt[index] as string, `lane ${index}`)) });
          const transactions = commands().filter((command) => command === 'TransactWriteItems').length;
          const cancelled = recorder.calls.some((call) => call.failed);
          recorder.detach();
          recorder = undefined;
          for (const [index, item] of lane.entries())
            expect((await postTouchpoint(body(single, item, occurredAt[index] as string, `lane ${index}`))).status).toBe(201);

          expect(statuses(batch)).toEqual(lane.map(() => 201));
          if (transactions < lane.length) folded += 1;
          if (transactions === 1 && !cancelled) fast += 1;
          const batchedId = batch.body.results[0].customerId;
          const singleId = (await lookupCustomer({ anonymousId: single.anonymousId })).body.customer.customerId;
          expect(await cardOf(batchedId)).toEqual(await cardOf(singleId));
          expect(await timelineOf(batchedId)).toEqual(await timelineOf(singleId));
        }),
        // No shrinking: each step replays against DynamoDB Local; the counterexample is printed whole.
        { seed: Number(process.env.PROPERTY_SEED ?? 20261202), numRuns: propertyRuns, endOnFailure: true },
      );
      // Not vacuous: lanes went through the fold (the others fell back), some in one fast update.
      console.log(`[batch fold] ${folded} of ${propertyRuns} lanes folded, ${fast} in one fast update`);
      expect(folded).toBeGreaterThan(propertyRuns / 4);
      expect(fast).toBeGreaterThan(0);
    },
    Math.max(120_000, propertyRuns * 10_000),
  );
});

describe('faults on the folded write', () => {
  it.each<FaultKind>(['transaction-throttle', 'throttle', 'timeout', 'internal'])(
    'answer 503 for every item of the chunk and store nothing (%s), with no write tried again blind',
    async (kind) => {
      const { anonymousId, customerId } = await knownVisitor();
      const before = await countItems();
      const cardBefore = (await getCustomer(customerId)).body.card.touchpointCount;
      faults = injectDynamoDbFaults(documentClient(), { rate: 1, kinds: [kind], commands: ['TransactWriteItemsCommand'] });

      const response = await postBatch({ items: visits({ anonymousId }, 5) });

      faults.detach();
      expect(statuses(response)).toEqual([503, 503, 503, 503, 503]);
      // The one folded transaction, and no other write after it: nothing tried again blind.
      expect(faults.stats.injected[kind]).toBe(1);
      expect(await countItems()).toBe(before);
      expect((await getCustomer(customerId)).body.card.touchpointCount).toBe(cardBefore);
    },
  );

  it('answers a folded write whose answer was lost as recorded, each visit stored once', async () => {
    const { anonymousId, customerId } = await knownVisitor();
    const before = await touchpointsOf(customerId);
    faults = injectDynamoDbFaults(documentClient(), { rate: 1, kinds: ['lost-response'], commands: ['TransactWriteItemsCommand'] });

    const response = await postBatch({ items: visits({ anonymousId }, 5, false) });

    faults.detach();
    expect(statuses(response)).toEqual([201, 201, 201, 201, 201]);
    expect(await touchpointsOf(customerId)).toBe(before + 5);
  });

  it('records on a retry with the same keys the visits a fault failed, each once, and replays them after', async () => {
    const { anonymousId, customerId } = await knownVisitor();
    const body = { items: visits({ anonymousId }, 5) };
    const before = await touchpointsOf(customerId);
    faults = injectDynamoDbFaults(documentClient(), { rate: 1, kinds: ['transaction-throttle'], commands: ['TransactWriteItemsCommand'] });
    const failed = await postBatch(body);
    faults.detach();

    const retry = await postBatch(body);
    const again = await postBatch(body);

    expect(statuses(failed)).toEqual([503, 503, 503, 503, 503]);
    expect(statuses(retry)).toEqual([201, 201, 201, 201, 201]);
    expect(statuses(again)).toEqual([200, 200, 200, 200, 200]);
    expect(again.body.results.map((result: { touchpointId: string }) => result.touchpointId)).toEqual(
      retry.body.results.map((result: { touchpointId: string }) => result.touchpointId),
    );
    expect(await touchpointsOf(customerId)).toBe(before + 5);
  });
});

describe('lanes that fall back to recording each item alone', () => {
  it('records a known visitor who brings a new identifier: the first visit alone attaches it, the rest are folded', async () => {
    const { anonymousId, customerId } = await knownVisitor();
    const email = uniqueEmail();
    recorder = recordDynamoDbCalls(documentClient());

    const response = await postBatch({ items: visits({ anonymousId, email }, 4) });

    expect(statuses(response)).toEqual([201, 201, 201, 201]);
    expect(response.body.results.map((result: { customerId: string }) => result.customerId)).toEqual([customerId, customerId, customerId, customerId]);
    expect(commands()).toEqual(['BatchGetItem', 'BatchGetItem', 'TransactWriteItems', 'BatchGetItem', 'TransactWriteItems']);
    expect((await lookupCustomer({ email })).body.customer.customerId).toBe(customerId);
  });

  it("records a new visitor's first batch: the first visit creates the customer, the rest are folded onto it", async () => {
    const anonymousId = `cookie-${unique()}`;
    recorder = recordDynamoDbCalls(documentClient());

    const response = await postBatch({ items: visits({ anonymousId }, 3) });

    expect(response.body.results.map((result: { customerCreated: boolean }) => result.customerCreated)).toEqual([true, false, false]);
    // The new card is one touchpoint short of its first frequency threshold: the fast update is refused, the exact one lands.
    expect(roundTrips()).toEqual(['BatchGetItem', 'BatchGetItem', 'TransactWriteItems', 'BatchGetItem', 'TransactWriteItems!', 'TransactWriteItems']);
    expect((await getTimeline(response.body.results[0].customerId)).body.items).toHaveLength(3);
  });

  it('replays a folded batch sent again with its Idempotency-Key, storing nothing more', async () => {
    const { anonymousId } = await knownVisitor();
    const body = { items: visits({ anonymousId }, 4, false) };
    const headers = { 'idempotency-key': `snippet-${unique()}` };
    const first = await postBatch(body, headers);
    const before = await countItems();

    const second = await postBatch(body, headers);

    expect(statuses(first)).toEqual([201, 201, 201, 201]);
    expect(second.body.results).toEqual(first.body.results.map((result: Record<string, unknown>) => ({ ...result, status: 200, replayed: true })));
    expect(await countItems()).toBe(before);
  });

  it("answers 409 in the slot of a known customer's item that reuses a key for another body, and records the others", async () => {
    const { anonymousId, customerId } = await knownVisitor();
    const key = `web-${unique()}`;
    await postBatch({ items: [touchpointBody({ channel: 'web_visit', identifiers: { anonymousId }, idempotencyKey: key, summary: 'first' })] });
    const before = await touchpointsOf(customerId);
    const [one, two] = visits({ anonymousId }, 2);

    const response = await postBatch({ items: [one, { ...two, idempotencyKey: key, summary: 'second' }] });

    expect(statuses(response)).toEqual([201, 409]);
    expect(await touchpointsOf(customerId)).toBe(before + 1);
  });

  it('records the same key twice in one lane once', async () => {
    const { anonymousId } = await knownVisitor();
    const [visit] = visits({ anonymousId }, 1);

    const response = await postBatch({ items: [visit, visit, ...visits({ anonymousId }, 2)] });

    expect([...statuses(response)].sort()).toEqual([200, 201, 201, 201]);
    expect(response.body.results[1].touchpointId).toBe(response.body.results[0].touchpointId);
  });
});

describe('a write-only key', () => {
  const website = authorizerContext(['touchpoints:write:web_visit'], 'public-site');

  it("gets a receipt for each folded visit of a known visitor, naming the stored touchpoint's id", async () => {
    const { anonymousId, customerId } = await knownVisitor();
    const items = visits({ anonymousId }, 3).map(({ source: _source, ...visit }) => visit);
    recorder = recordDynamoDbCalls(documentClient());

    const response = await invoke(ingestBatchHandler, apiEvent({ method: 'POST', routePath: '/v1/touchpoints/batch', body: { items }, authorizer: website }));

    expect(commands()).toEqual(['BatchGetItem', 'TransactWriteItems']);
    expect(response.body.results).toEqual([0, 1, 2].map(() => ({ status: 202, touchpointId: expect.stringMatching(/^tp_/) })));
    const stored = (await itemsOfEntity('touchpoint')).filter((item) => item.customerId === customerId).map((item) => item.touchpointId);
    for (const result of response.body.results) expect(stored).toContain(result.touchpointId);
  });
});
