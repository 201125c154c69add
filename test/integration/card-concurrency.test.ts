import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../helpers/dynamodb.ts';
import { getCustomer, postTouchpoint, recordTouchpoint, wholeTimeline } from '../helpers/handlers.ts';
import { minutesAgo, touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';
import type { Channel } from '../../shared/schemas/touchpoint.ts';

beforeAll(async () => {
  await createTestTable();
});

describe('card under concurrent touchpoints', () => {
  it('counts 50 parallel touchpoints for one customer without losing an increment', async () => {
    const phone = uniquePhone().e164;
    const { customerId, touchpointId: firstId } = await recordTouchpoint(
      touchpointBody({ channel: 'call', identifiers: { phone }, occurredAt: minutesAgo(30) }),
    );
    // Web visits fill and trim the page list, values cross the monetary thresholds and the count
    // crosses frequency thresholds: the guarded fast path and the exact path race each other.
    const mix: Channel[] = ['call', 'email', 'sms', 'web_visit', 'chat'];
    const bodies = Array.from({ length: 50 }, (_, index) => {
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

    const responses = await Promise.all(bodies.map((body) => postTouchpoint(body)));

    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(201));
    const card = (await getCustomer(customerId)).body.card;
    expect(card.touchpointCount).toBe(51);
    expect(card.countsByChannel).toEqual({ call: 11, email: 10, sms: 10, web_visit: 10, chat: 10, invoice_query: 0, letter: 0, in_person: 0 });
    expect(card.valueTier.monetaryTotal).toBe(500);
    expect(card.recentPages).toHaveLength(5);
    const timeline = await wholeTimeline(customerId);
    expect(timeline.map((touchpoint) => touchpoint.touchpointId).sort()).toEqual(
      [firstId, ...responses.map((response) => response.body.touchpointId)].sort(),
    );
  }, 60_000);
});
