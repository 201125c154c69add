import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueTierConfig } from '../../shared/domain/value-tiers.ts';
import {
  type CardDelta,
  type CardState,
  applyDelta,
  cardDelta,
  emptyCard,
  fastPathEligible,
  lateArrivalThresholdMs,
  looksLate,
  newestContact,
  resolvedQueryRetentionDays,
  valueTier,
} from '../../shared/domain/card.ts';
import type { Touchpoint } from '../../shared/domain/model.ts';
import type { Channel } from '../../shared/schemas/touchpoint.ts';

const now = new Date('2026-06-15T12:00:00.000Z');
const dayMs = 86_400_000;

function daysBefore(days: number, from: Date = now): string {
  return new Date(from.getTime() - days * dayMs).toISOString();
}

let touchpointCounter = 0;

function touchpoint(overrides: Partial<Touchpoint> & { value?: number } = {}): Touchpoint & { value?: number } {
  touchpointCounter += 1;
  return {
    touchpointId: `tp_${String(touchpointCounter).padStart(26, '0')}`,
    customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
    channel: 'call',
    occurredAt: now.toISOString(),
    receivedAt: now.toISOString(),
    source: 'unit-test',
    identifiers: {},
    summary: 'A call',
    details: {},
    ...overrides,
  };
}

function invoiceQuery(status: 'open' | 'in_progress' | 'resolved', occurredAt: string, extra: Record<string, unknown> = {}): Touchpoint {
  return touchpoint({
    channel: 'invoice_query',
    occurredAt,
    summary: `Invoice query ${status}`,
    details: { invoiceNumber: 'INV-1', queryId: 'Q-1', status, ...extra },
  });
}

function webVisit(url: string, occurredAt: string): Touchpoint {
  return touchpoint({ channel: 'web_visit', occurredAt, summary: null, details: { url, title: `Page ${url}` } });
}

/** Applies touchpoints in the given order, as the store would, all received at `now`. */
function cardAfter(...touchpoints: Array<Touchpoint & { value?: number }>): CardState {
  return touchpoints.reduce((card, next) => applyDelta(card, cardDelta(next), now), emptyCard());
}

describe('valueTier: recency', () => {
  it('scores recency 0 for a customer never contacted', () => {
    const { scores } = valueTier({ touchpointCount: 0, monetaryTotal: 0 }, now);

    expect(scores.recency).toBe(0);
  });

  it.each([
    { daysAgo: 0, recency: 4 },
    { daysAgo: 30, recency: 4 },
    { daysAgo: 31, recency: 3 },
    { daysAgo: 90, recency: 3 },
    { daysAgo: 91, recency: 2 },
    { daysAgo: 180, recency: 2 },
    { daysAgo: 181, recency: 1 },
    { daysAgo: 365, recency: 1 },
    { daysAgo: 366, recency: 0 },
  ])('scores recency $recency for a last contact $daysAgo days ago', ({ daysAgo, recency }) => {
    const { scores } = valueTier({ touchpointCount: 1, monetaryTotal: 0, lastContactAt: daysBefore(daysAgo) }, now);

    expect(scores.recency).toBe(recency);
  });

  it('decays recency at read time: the same facts read later score lower', () => {
    const facts = { touchpointCount: 10, monetaryTotal: 1_000, lastContactAt: daysBefore(1) };

    const today = valueTier(facts, now);
    const inFourMonths = valueTier(facts, new Date(now.getTime() + 120 * dayMs));

    expect(today).toEqual({ tier: 'gold', scores: { recency: 4, frequency: 2, monetary: 2 } });
    expect(inFourMonths).toEqual({ tier: 'silver', scores: { recency: 2, frequency: 2, monetary: 2 } });
  });
});

describe('valueTier: frequency', () => {
  it.each([
    { touchpointCount: 2, frequency: 0 },
    { touchpointCount: 3, frequency: 1 },
    { touchpointCount: 9, frequency: 1 },
    { touchpointCount: 10, frequency: 2 },
    { touchpointCount: 25, frequency: 3 },
    { touchpointCount: 49, frequency: 3 },
    { touchpointCount: 50, frequency: 4 },
    { touchpointCount: 5_000, frequency: 4 },
  ])('scores frequency $frequency for $touchpointCount touchpoints', ({ touchpointCount, frequency }) => {
    const { scores } = valueTier({ touchpointCount, monetaryTotal: 0 }, now);

    expect(scores.frequency).toBe(frequency);
  });
});

describe('valueTier: monetary', () => {
  it.each([
    { monetaryTotal: 99.99, monetary: 0 },
    { monetaryTotal: 100, monetary: 1 },
    { monetaryTotal: 999.99, monetary: 1 },
    { monetaryTotal: 1_000, monetary: 2 },
    { monetaryTotal: 5_000, monetary: 3 },
    { monetaryTotal: 20_000, monetary: 4 },
    { monetaryTotal: 1e9, monetary: 4 },
  ])('scores monetary $monetary for a lifetime value of $monetaryTotal', ({ monetaryTotal, monetary }) => {
    const { scores } = valueTier({ touchpointCount: 0, monetaryTotal }, now);

    expect(scores.monetary).toBe(monetary);
  });
});

describe('valueTier: tiers', () => {
  it('lists the tiers best first with descending minimum scores', () => {
    const minimums = valueTierConfig.tiers.map((tier) => tier.minScore);

    expect(valueTierConfig.tiers.map((tier) => tier.name)).toEqual(['platinum', 'gold', 'silver', 'bronze']);
    expect(minimums).toEqual([...minimums].sort((a, b) => b - a));
  });

  it.each([
    // recency 4 (1 day ago) + frequency + monetary
    { touchpointCount: 50, monetaryTotal: 20_000, total: 12, tier: 'platinum' },
    { touchpointCount: 10, monetaryTotal: 20_000, total: 10, tier: 'platinum' },
    { touchpointCount: 3, monetaryTotal: 20_000, total: 9, tier: 'gold' },
    { touchpointCount: 3, monetaryTotal: 1_000, total: 7, tier: 'gold' },
    { touchpointCount: 3, monetaryTotal: 100, total: 6, tier: 'silver' },
    { touchpointCount: 1, monetaryTotal: 100, total: 5, tier: 'silver' },
    { touchpointCount: 1, monetaryTotal: 0, total: 4, tier: 'bronze' },
  ])('puts a total score of $total in $tier', ({ touchpointCount, monetaryTotal, total, tier }) => {
    const result = valueTier({ touchpointCount, monetaryTotal, lastContactAt: daysBefore(1) }, now);

    expect(result.scores.recency + result.scores.frequency + result.scores.monetary).toBe(total);
    expect(result.tier).toBe(tier);
  });

  it('puts a customer with no facts at all in the lowest tier', () => {
    const { tier } = valueTier({ touchpointCount: 0, monetaryTotal: 0 }, now);

    expect(tier).toBe('bronze');
  });
});

describe('applyDelta: counts', () => {
  it('adds one to the lifetime count and to the channel count', () => {
    const card = cardAfter(touchpoint({ channel: 'call' }), touchpoint({ channel: 'email' }), touchpoint({ channel: 'call' }));

    expect(card.touchpointCount).toBe(3);
    expect(card.countsByChannel).toMatchObject({ call: 2, email: 1, sms: 0, web_visit: 0 });
  });

  it('bumps the version with every touchpoint, for the optimistic lock', () => {
    const card = cardAfter(touchpoint(), touchpoint());

    expect(card.version).toBe(2);
  });

  it('does not change the card it is given', () => {
    const before = cardAfter(touchpoint({ channel: 'sms' }));
    const snapshot = structuredClone(before);

    applyDelta(before, cardDelta(touchpoint({ channel: 'sms' })), now);

    expect(before).toEqual(snapshot);
  });

  it('adds a touchpoint value to the monetary total', () => {
    const card = cardAfter(touchpoint({ value: 40 }), touchpoint({ value: 60.5 }));

    expect(card.monetaryTotal).toBe(100.5);
  });
});

describe('applyDelta: last contact', () => {
  it('makes the newer touchpoint the last contact', () => {
    const newer = touchpoint({ channel: 'email', occurredAt: daysBefore(1), summary: 'Asked for a refund' });

    const card = cardAfter(touchpoint({ occurredAt: daysBefore(2) }), newer);

    expect(card.lastContact).toEqual({
      touchpointId: newer.touchpointId,
      channel: 'email',
      occurredAt: newer.occurredAt,
      summary: 'Asked for a refund',
    });
  });

  it('keeps the newest last contact when an older touchpoint arrives late', () => {
    const newest = touchpoint({ channel: 'chat', occurredAt: daysBefore(1) });

    const card = cardAfter(newest, touchpoint({ channel: 'letter', occurredAt: daysBefore(5) }));

    expect(card.lastContact?.touchpointId).toBe(newest.touchpointId);
    expect(card.countsByChannel.letter).toBe(1);
  });
});

describe('late contacts', () => {
  it('folds the late contacts into the last contact at the next exact write, keeping the newest', () => {
    const appendedLate = cardDelta(touchpoint({ channel: 'sms', occurredAt: daysBefore(0.01) })).lastContact;
    const card: CardState = { ...cardAfter(touchpoint({ occurredAt: daysBefore(1) })), lateContacts: [appendedLate] };

    const next = applyDelta(card, cardDelta(touchpoint({ channel: 'letter', occurredAt: daysBefore(0.5) })), now);

    expect(next.lastContact).toEqual(appendedLate);
    expect(next.lateContacts).toEqual([]);
  });

  it('takes the newest of the last contact and the late contacts', () => {
    const older = cardDelta(touchpoint({ occurredAt: daysBefore(2) })).lastContact;
    const newest = cardDelta(touchpoint({ occurredAt: daysBefore(1) })).lastContact;

    expect(newestContact([older, null, newest, undefined])).toEqual(newest);
  });

  it('treats a touchpoint that arrives more than the threshold after it happened as possibly late', () => {
    const occurredAt = new Date(now.getTime() - lateArrivalThresholdMs - 1_000).toISOString();

    expect(looksLate(cardDelta(touchpoint({ occurredAt })), now)).toBe(true);
  });

  it('treats a touchpoint that arrives within the threshold as live', () => {
    const occurredAt = new Date(now.getTime() - lateArrivalThresholdMs + 1_000).toISOString();

    expect(looksLate(cardDelta(touchpoint({ occurredAt })), now)).toBe(false);
  });
});

describe('applyDelta: invoice query lifecycle', () => {
  it('opens a query with its invoice number, amount and reason', () => {
    const card = cardAfter(invoiceQuery('open', daysBefore(3), { reason: 'Charged twice', amount: { value: 129.5, currency: 'GBP' } }));

    expect(card.invoiceQueries['query#Q-1']).toMatchObject({
      invoiceNumber: 'INV-1',
      queryId: 'Q-1',
      status: 'open',
      reason: 'Charged twice',
      amount: { value: 129.5, currency: 'GBP' },
      openedAt: daysBefore(3),
      resolvedAt: null,
    });
  });

  it('moves a query from open to in_progress, keeping when it was opened and its amount', () => {
    const card = cardAfter(invoiceQuery('open', daysBefore(3), { amount: { value: 50, currency: 'GBP' } }), invoiceQuery('in_progress', daysBefore(2)));

    expect(card.invoiceQueries['query#Q-1']).toMatchObject({
      status: 'in_progress',
      openedAt: daysBefore(3),
      updatedAt: daysBefore(2),
      amount: { value: 50, currency: 'GBP' },
    });
  });

  it('resolves a query and records when', () => {
    const card = cardAfter(invoiceQuery('open', daysBefore(3)), invoiceQuery('in_progress', daysBefore(2)), invoiceQuery('resolved', daysBefore(1)));

    expect(card.invoiceQueries['query#Q-1']).toMatchObject({ status: 'resolved', resolvedAt: daysBefore(1) });
  });

  it('does not let an older status arriving late overwrite a newer one', () => {
    const card = cardAfter(invoiceQuery('open', daysBefore(3)), invoiceQuery('resolved', daysBefore(1)), invoiceQuery('in_progress', daysBefore(2)));

    expect(card.invoiceQueries['query#Q-1']).toMatchObject({ status: 'resolved', updatedAt: daysBefore(1), resolvedAt: daysBefore(1) });
  });

  it('keeps the earliest opening time when the open status arrives after a later status', () => {
    const card = cardAfter(invoiceQuery('in_progress', daysBefore(2)), invoiceQuery('open', daysBefore(4)));

    expect(card.invoiceQueries['query#Q-1']).toMatchObject({ status: 'in_progress', openedAt: daysBefore(4) });
  });

  it('counts a query amount once however many statuses repeat it', () => {
    const amount = { value: 250, currency: 'GBP' };

    const card = cardAfter(
      invoiceQuery('open', daysBefore(3), { amount }),
      invoiceQuery('in_progress', daysBefore(2), { amount }),
      invoiceQuery('resolved', daysBefore(1), { amount }),
    );

    expect(card.monetaryTotal).toBe(250);
  });

  it('keys a query by its invoice number when it has no query id', () => {
    const query = touchpoint({ channel: 'invoice_query', details: { invoiceNumber: 'INV-77', status: 'open' } });

    const card = cardAfter(query);

    expect(Object.keys(card.invoiceQueries)).toEqual(['invoice#INV-77']);
  });

  it('drops a query resolved more than 90 days ago at the next write', () => {
    const resolved = cardAfter(invoiceQuery('open', daysBefore(12)), invoiceQuery('resolved', daysBefore(10)));
    const later = new Date(Date.parse(daysBefore(10)) + (resolvedQueryRetentionDays + 1) * dayMs);

    const card = applyDelta(resolved, cardDelta(touchpoint({ occurredAt: later.toISOString() })), later);

    expect(resolved.invoiceQueries['query#Q-1']).toMatchObject({ status: 'resolved' });
    expect(card.invoiceQueries['query#Q-1']).toBeUndefined();
  });

  it('keeps a query resolved less than 90 days ago', () => {
    const resolved = cardAfter(invoiceQuery('open', daysBefore(12)), invoiceQuery('resolved', daysBefore(10)));
    const later = new Date(Date.parse(daysBefore(10)) + (resolvedQueryRetentionDays - 1) * dayMs);

    const card = applyDelta(resolved, cardDelta(touchpoint({ occurredAt: later.toISOString() })), later);

    expect(card.invoiceQueries['query#Q-1']).toMatchObject({ status: 'resolved' });
  });

  it('never drops an open query however old', () => {
    const card = cardAfter(invoiceQuery('open', daysBefore(400)), touchpoint());

    expect(card.invoiceQueries['query#Q-1']).toMatchObject({ status: 'open' });
  });
});

describe('applyDelta: tier fields', () => {
  /** The card of a recent customer with these lifetime facts, as the exact path stores it. */
  const cardWith = (touchpointCount: number, monetaryTotal: number) =>
    applyDelta({ ...emptyCard(), touchpointCount: touchpointCount - 1 }, cardDelta(touchpoint({ value: monetaryTotal })), now);

  it('stores the tier and the headroom left before a score change can change the tier', () => {
    const card = cardAfter(touchpoint({ value: 30 }));

    // Bronze on 4 points (recency only): any further point makes it silver.
    expect(card).toMatchObject({ tier: 'bronze', tierRecency: 4, frequencyHeadroom: 2, monetaryHeadroom: 70 });
  });

  it('lets the frequency score rise where the tier has room: a gold customer stays gold past 25 touchpoints', () => {
    // 20 touchpoints (frequency 2) and 1,500 of value (monetary 2): 8 points, gold until 10.
    const card = cardWith(20, 1_500);

    expect(card).toMatchObject({ tier: 'gold', tierWhenRecent: 'gold', frequencyHeadroom: 30, monetaryHeadroom: 3_500 });
  });

  it('leaves unlimited headroom in the top tier, where nothing more can change it', () => {
    const card = cardWith(60, 25_000);

    expect(card.tierWhenRecent).toBe('platinum');
    expect(card.frequencyHeadroom).toBeGreaterThan(1e12);
    expect(card.monetaryHeadroom).toBeGreaterThan(1e12);
  });

  it('never lets a fast write within the headroom leave the tier when recent wrong', () => {
    // The fast path's guards: more touchpoints than the headroom, or at least the monetary headroom in value, refuse it.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 30_000 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 30_000 }),
        (touchpointCount, monetaryTotal, added, addedValue) => {
          const card = cardWith(touchpointCount, monetaryTotal);
          fc.pre(card.frequencyHeadroom > added && (addedValue === 0 || card.monetaryHeadroom > addedValue));
          const after = valueTier(
            { touchpointCount: touchpointCount + added, monetaryTotal: monetaryTotal + addedValue, lastContactAt: now.toISOString() },
            now,
          );
          expect(after.tier).toBe(card.tierWhenRecent);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('moves the stored tier up when a touchpoint crosses a threshold', () => {
    const card = cardAfter(touchpoint({ value: 20_000 }), touchpoint({}), touchpoint({}));

    expect(card.tier).toBe('gold');
  });

  it('leaves unlimited headroom once a score is at its top', () => {
    const card = cardAfter(touchpoint({ value: 50_000 }));

    expect(card.monetaryHeadroom).toBeGreaterThan(1e12);
  });
});

describe('cardDelta', () => {
  it('takes a web visit as a contact on its channel, with no page: pages are read from the timeline', () => {
    const visit = webVisit('https://www.example.org/billing', daysBefore(1));

    const delta = cardDelta(visit);

    expect(delta).toEqual({
      channel: 'web_visit',
      lastContact: { touchpointId: visit.touchpointId, channel: 'web_visit', occurredAt: visit.occurredAt, summary: visit.summary },
      value: 0,
    });
  });

  it('counts no value for a touchpoint without one', () => {
    const delta = cardDelta(touchpoint());

    expect(delta.value).toBe(0);
    expect(delta.invoiceQuery).toBeUndefined();
  });
});

describe('fastPathEligible', () => {
  const deltaAt = (occurredAt: string, channel: Channel = 'call'): CardDelta => cardDelta(touchpoint({ channel, occurredAt }));

  it('lets a touchpoint that happened now take the fast path', () => {
    expect(fastPathEligible(deltaAt(now.toISOString()), now)).toBe(true);
  });

  it('lets a touchpoint within the top recency band take the fast path', () => {
    expect(fastPathEligible(deltaAt(daysBefore(valueTierConfig.recencyDays[0])), now)).toBe(true);
  });

  it('sends a touchpoint older than the top recency band to the exact path', () => {
    expect(fastPathEligible(deltaAt(daysBefore(valueTierConfig.recencyDays[0] + 1)), now)).toBe(false);
  });

  it('lets a touchpoint from a clock running slightly fast take the fast path', () => {
    expect(fastPathEligible(deltaAt(new Date(now.getTime() + 60_000).toISOString()), now)).toBe(true);
  });
});
