import { describe, expect, it } from 'vitest';
import { applyDelta, cardDelta, emptyCard } from '../../shared/domain/card.ts';
import { cardView, recognitionCard, shownPageCount } from '../../shared/domain/card-view.ts';
import type { Customer, Touchpoint } from '../../shared/domain/model.ts';
import type { Channel } from '../../shared/schemas/touchpoint.ts';

const now = new Date('2026-06-15T12:00:00.000Z');
const dayMs = 86_400_000;
const daysBefore = (days: number) => new Date(now.getTime() - days * dayMs).toISOString();

let touchpointCounter = 0;

function touchpoint(channel: Channel, occurredAt: string, details: Record<string, unknown> = {}): Touchpoint {
  touchpointCounter += 1;
  return {
    touchpointId: `tp_${String(touchpointCounter).padStart(26, '0')}`,
    customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
    channel,
    occurredAt,
    receivedAt: occurredAt,
    source: 'unit-test',
    identifiers: {},
    summary: `A ${channel}`,
    details,
  };
}

function customerWith(touchpoints: Touchpoint[], overrides: Partial<Customer> = {}): Customer {
  const card = touchpoints.reduce((current, next) => applyDelta(current, cardDelta(next), now), emptyCard());
  return {
    customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
    createdAt: daysBefore(400),
    updatedAt: daysBefore(1),
    identifiers: [],
    card,
    displayName: null,
    traits: {},
    preferences: null,
    identifierPermissions: {},
    ...overrides,
  };
}

const invoiceQuery = (status: string, occurredAt: string, queryId: string) =>
  touchpoint('invoice_query', occurredAt, { invoiceNumber: `INV-${queryId}`, queryId, status, amount: { value: 10, currency: 'GBP' } });

describe('cardView', () => {
  it('recomputes the value tier at read time from the stored facts', () => {
    const customer = customerWith([touchpoint('call', daysBefore(1))]);

    const later = cardView(customer, new Date(now.getTime() + 400 * dayMs));

    expect(customer.card.tierRecency).toBe(4);
    expect(later.valueTier.scores.recency).toBe(0);
  });

  it('lists open and in-progress invoice queries with their age in whole days, oldest first', () => {
    const customer = customerWith([invoiceQuery('open', daysBefore(2.5), 'B'), invoiceQuery('in_progress', daysBefore(7.9), 'A')]);

    const view = cardView(customer, now);

    expect(view.openInvoiceQueries.map(({ queryId, status, ageDays }) => ({ queryId, status, ageDays }))).toEqual([
      { queryId: 'A', status: 'in_progress', ageDays: 7 },
      { queryId: 'B', status: 'open', ageDays: 2 },
    ]);
  });

  it('leaves a resolved invoice query out of the open list', () => {
    const customer = customerWith([invoiceQuery('open', daysBefore(3), 'C'), invoiceQuery('resolved', daysBefore(1), 'C')]);

    const view = cardView(customer, now);

    expect(view.openInvoiceQueries).toEqual([]);
  });

  it('keeps no pages: a list or an update has no recent history to take them from', () => {
    const customer = customerWith([touchpoint('web_visit', daysBefore(1), { url: 'https://www.example.org/a', title: 'A' })]);

    expect(cardView(customer, now)).not.toHaveProperty('recentPages');
  });

  it('infers the preferred channel from the most used contact channel', () => {
    const customer = customerWith([
      touchpoint('sms', daysBefore(3)),
      touchpoint('sms', daysBefore(2)),
      touchpoint('call', daysBefore(1)),
      touchpoint('web_visit', daysBefore(1), { url: 'https://www.example.org/' }),
      touchpoint('web_visit', daysBefore(1), { url: 'https://www.example.org/' }),
      touchpoint('web_visit', daysBefore(1), { url: 'https://www.example.org/' }),
    ]);

    const view = cardView(customer, now);

    expect(view.preferredChannel).toEqual({ channel: 'sms', basis: 'inferred' });
  });

  it('maps calls to the phone channel when inferring the preferred channel', () => {
    const customer = customerWith([touchpoint('call', daysBefore(1))]);

    expect(cardView(customer, now).preferredChannel).toEqual({ channel: 'phone', basis: 'inferred' });
  });

  it('infers no preferred channel from touchpoints that are not contact channels', () => {
    const customer = customerWith([touchpoint('web_visit', daysBefore(1), { url: 'https://www.example.org/' }), touchpoint('chat', daysBefore(1))]);

    expect(cardView(customer, now).preferredChannel).toBeNull();
  });

  it('prefers the channel the customer stated over the inferred one', () => {
    const customer = customerWith([touchpoint('call', daysBefore(1))], {
      preferences: { channels: {}, preferredChannel: 'mail', quietHours: null, updatedAt: daysBefore(1) },
    });

    expect(cardView(customer, now).preferredChannel).toEqual({ channel: 'mail', basis: 'stated' });
  });

  it('shows every contact channel as not stated for a customer who told us nothing', () => {
    const customer = customerWith([touchpoint('call', daysBefore(1))]);

    expect(cardView(customer, now).contactPermissions).toEqual({
      channels: { phone: 'not_stated', email: 'not_stated', sms: 'not_stated', mail: 'not_stated' },
      quietHours: null,
      identifiers: [],
    });
  });

  it('shows per-identifier permissions only for identifiers that have some', () => {
    const provenance = { attachedAt: daysBefore(10), source: 'unit-test', rule: 'first-contact' as const };
    const customer = customerWith([touchpoint('call', daysBefore(1))], {
      identifiers: [
        { type: 'phone', value: '+447700900001', provenance },
        { type: 'phone', value: '+447700900002', provenance },
      ],
      identifierPermissions: { 'phone#+447700900002': { channels: { sms: 'opted_out' }, marketing: null } },
    });

    expect(cardView(customer, now).contactPermissions.identifiers).toEqual([
      { type: 'phone', value: '+447700900002', channels: { sms: 'opted_out' }, marketing: null },
    ]);
  });

  it('tells how fresh the card is', () => {
    const customer = customerWith([touchpoint('call', daysBefore(1))]);

    expect(cardView(customer, now).freshness).toEqual({ updatedAt: daysBefore(1), readAt: now.toISOString() });
  });
});

describe('recognitionCard: recent pages', () => {
  /** The recent history as a lookup reads it: newest first. */
  const newestFirst = (touchpoints: Touchpoint[]) => [...touchpoints].sort((a, b) => (a.occurredAt < b.occurredAt ? 1 : -1));

  it('shows the newest five web visits of the recent history, newest first, without their touchpoint ids', () => {
    const visits = [6, 2, 7, 1, 5, 3, 4].map((minute) =>
      touchpoint('web_visit', new Date(now.getTime() - (10 - minute) * 60_000).toISOString(), {
        url: `https://www.example.org/page-${minute}`,
        title: `Page ${minute}`,
      }),
    );
    const recent = newestFirst([...visits, touchpoint('call', daysBefore(0.001))]);

    const card = recognitionCard({ customer: customerWith(visits), recent }, now);

    expect(card.recentPages).toHaveLength(shownPageCount);
    expect(card.recentPages.map((page) => page.url)).toEqual([7, 6, 5, 4, 3].map((minute) => `https://www.example.org/page-${minute}`));
    expect(card.recentPages[0]).toEqual({ url: 'https://www.example.org/page-7', title: 'Page 7', occurredAt: visits[2]?.occurredAt });
  });

  it('gives a page without a title a null title, and none at all when the recent history holds no web visit', () => {
    const visit = touchpoint('web_visit', daysBefore(1), { url: 'https://www.example.org/untitled' });
    const call = touchpoint('call', daysBefore(2));

    expect(recognitionCard({ customer: customerWith([call, visit]), recent: [visit, call] }, now).recentPages).toEqual([
      { url: 'https://www.example.org/untitled', title: null, occurredAt: visit.occurredAt },
    ]);
    expect(recognitionCard({ customer: customerWith([call]), recent: [call] }, now).recentPages).toEqual([]);
  });
});
