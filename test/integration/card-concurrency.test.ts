import { beforeAll, describe, expect, it } from 'vitest';
import { ingestTouchpointRoute } from '../../functions/ingest-touchpoint/handler.ts';
import { recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { documentClient } from '../../shared/db/client.ts';
import type { Channel } from '../../shared/schemas/touchpoint.ts';
import { apiEvent } from '../helpers/api-event.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { getCustomer, recordTouchpoint, wholeTimeline } from '../helpers/handlers.ts';
import { minutesAgo, touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * 50 touchpoints for one customer at once. They go through the bare route (the handler without
 * middy), so a slow, busy DynamoDB Local cannot trip the middleware's timeout and leave a write
 * still running in the background while the test reads the card.
 */
const parallelCount = 50;
const mix: Channel[] = ['call', 'email', 'sms', 'web_visit', 'chat'];

let customerId: string;
let firstTouchpointId: string;
let outcomes: Array<PromiseSettledResult<{ statusCode: number; body?: unknown }>>;
let bodies: ReturnType<typeof touchpointBody>[];

function ingest(body: ReturnType<typeof touchpointBody>) {
  return ingestTouchpointRoute({ ...apiEvent({ method: 'POST', routePath: '/v1/touchpoints', body }), body });
}

const recorded = () =>
  outcomes.flatMap((outcome, index) =>
    outcome.status === 'fulfilled' && outcome.value.statusCode === 201
      ? [{ body: bodies[index] as ReturnType<typeof touchpointBody>, touchpointId: (outcome.value.body as { touchpointId: string }).touchpointId }]
      : [],
  );

beforeAll(async () => {
  await createTestTable();
  const phone = uniquePhone().e164;
  ({ customerId, touchpointId: firstTouchpointId } = await recordTouchpoint(
    touchpointBody({ channel: 'call', identifiers: { phone }, occurredAt: minutesAgo(30) }),
  ));
  // Times spread over 20 minutes make many of them late arrivals: the guarded fast path and the
  // exact (version-locked) path race each other; the
  // count crosses the frequency thresholds and the values the monetary ones.
  bodies = Array.from({ length: parallelCount }, (_, index) => {
    const channel = mix[index % mix.length] as Channel;
    return touchpointBody({
      channel,
      identifiers: { phone },
      occurredAt: minutesAgo(20 - (index % 20)),
      value: 10,
      summary: `Parallel ${index}`,
      ...(channel === 'web_visit' ? { details: { url: `https://www.example.org/parallel-${index}` } } : {}),
    });
  });
  const recorder = recordDynamoDbCalls(documentClient());
  const started = Date.now();
  outcomes = await Promise.allSettled(bodies.map(ingest));
  recorder.detach();
  const count = (command: string, failed: boolean) => recorder.calls.filter((call) => call.command === command && call.failed === failed).length;
  console.log(
    `[card concurrency] ${parallelCount} parallel touchpoints for one customer in ${Date.now() - started} ms: ` +
      `${count('BatchGetItemCommand', false)} BatchGets, ${count('GetItemCommand', false)} GetItems, ` +
      `${count('TransactWriteItemsCommand', false)} TransactWrites recorded, ${count('TransactWriteItemsCommand', true)} cancelled`,
  );
}, 120_000);

describe('card under 50 parallel touchpoints for one customer', () => {
  it('records every one of them', () => {
    const statuses = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.statusCode : String(outcome.reason)));

    expect(statuses).toEqual(Array(parallelCount).fill(201));
  });

  it('counts exactly the touchpoints recorded, per channel, with no lost increment', async () => {
    const expectedCounts: Record<string, number> = { call: 1, email: 0, sms: 0, web_visit: 0, chat: 0, invoice_query: 0, letter: 0, in_person: 0 };
    for (const { body } of recorded()) expectedCounts[body.channel] = (expectedCounts[body.channel] ?? 0) + 1;

    const card = (await getCustomer(customerId)).body.card;

    expect(card.touchpointCount).toBe(1 + recorded().length);
    expect(card.countsByChannel).toEqual(expectedCounts);
    expect(card.valueTier.monetaryTotal).toBe(10 * recorded().length);
  });

  it('keeps every recorded touchpoint on the timeline', async () => {
    const timeline = await wholeTimeline(customerId);

    expect(timeline.map((touchpoint) => touchpoint.touchpointId).sort()).toEqual([firstTouchpointId, ...recorded().map((entry) => entry.touchpointId)].sort());
  });

  it('shows the newest recorded touchpoint as the last contact, the ten newest as recent and the web visits among them as pages', async () => {
    const newest = recorded().reduce((latest, entry) => ((entry.body.occurredAt ?? '') >= (latest.body.occurredAt ?? '') ? entry : latest));
    // Newest first as the partition sorts them: by time, then by touchpoint id.
    const tenNewest = [...recorded()]
      .sort((a, b) => (b.body.occurredAt ?? '').localeCompare(a.body.occurredAt ?? '') || b.touchpointId.localeCompare(a.touchpointId))
      .slice(0, 10);
    const expectedPages = tenNewest.filter((entry) => entry.body.channel === 'web_visit').slice(0, 5);

    const { card, recent } = (await getCustomer(customerId)).body;

    expect(card.lastContact.occurredAt).toBe(newest.body.occurredAt);
    expect(recent.map((touchpoint: { touchpointId: string }) => touchpoint.touchpointId)).toEqual(tenNewest.map((entry) => entry.touchpointId));
    expect(expectedPages.length).toBeGreaterThan(0);
    expect(card.recentPages.map((page: { url: string }) => page.url)).toEqual(expectedPages.map((entry) => (entry.body.details as { url: string }).url));
  });
});
