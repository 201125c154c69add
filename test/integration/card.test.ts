import { beforeAll, describe, expect, it } from 'vitest';
import { handler as updateCustomerHandler } from '../../functions/update-customer/handler.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { createTestTable, itemsOfEntity } from '../helpers/dynamodb.ts';
import { getCustomer, lookupCustomer, putPreferences, recordTouchpoint } from '../helpers/handlers.ts';
import { minutesAgo, touchpointBody, unique, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

const daysAgo = (days: number) => minutesAgo(days * 24 * 60);

function patchCustomer(customerId: string, body: unknown) {
  return invoke(
    updateCustomerHandler,
    apiEvent({ method: 'PATCH', routePath: '/v1/customers/{customerId}', path: `/v1/customers/${customerId}`, pathParameters: { customerId }, body }),
  );
}

/** The card as a lookup by phone returns it; fails the test on anything but a 200. */
async function cardByPhone(phone: string) {
  const response = await lookupCustomer({ phone });
  expect(response.status).toBe(200);
  return response.body.card;
}

function invoiceQueryBody(phone: string, invoiceNumber: string, details: Record<string, unknown>, occurredAt: string) {
  return touchpointBody({
    channel: 'invoice_query',
    identifiers: { phone },
    occurredAt,
    summary: `Invoice query ${String(details.status)}`,
    details: { invoiceNumber, queryId: `Q-${invoiceNumber}`, ...details },
  });
}

describe('recognition card on lookup and GET customer', () => {
  it('shows the display name and traits set on the customer', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    await patchCustomer(customerId, { displayName: 'Ada Lovelace', traits: { segment: 'smb', seats: 12 } });

    const card = await cardByPhone(phone);

    expect(card.displayName).toBe('Ada Lovelace');
    expect(card.traits).toEqual({ segment: 'smb', seats: 12 });
  });

  it('returns the same card from GET customer as from the lookup', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone }, value: 150 }));

    const [byId, byPhone] = await Promise.all([getCustomer(customerId), lookupCustomer({ phone })]);

    const withoutReadAt = (card: { freshness: Record<string, string> }) => ({ ...card, freshness: { ...card.freshness, readAt: undefined } });
    expect(byId.status).toBe(200);
    expect(byId.body.card.touchpointCount).toBe(1);
    expect(withoutReadAt(byId.body.card)).toEqual(withoutReadAt(byPhone.body.card));
  });

  it('counts lifetime touchpoints per channel', async () => {
    const phone = uniquePhone().e164;
    for (const [index, channel] of (['call', 'email', 'email', 'sms'] as const).entries()) {
      await recordTouchpoint(touchpointBody({ channel, identifiers: { phone }, occurredAt: minutesAgo(10 - index) }));
    }

    const card = await cardByPhone(phone);

    expect(card.touchpointCount).toBe(4);
    expect(card.countsByChannel).toEqual({ call: 1, email: 2, sms: 1, invoice_query: 0, web_visit: 0, letter: 0, chat: 0, in_person: 0 });
  });

  it('names the channel, time and summary of the newest touchpoint as the last contact', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(20) }));
    const occurredAt = minutesAgo(5);
    const newest = await recordTouchpoint(touchpointBody({ channel: 'chat', identifiers: { phone }, occurredAt, summary: 'Chat about tariffs' }));

    const card = await cardByPhone(phone);

    expect(card.lastContact).toEqual({ touchpointId: newest.touchpointId, channel: 'chat', occurredAt, summary: 'Chat about tariffs' });
  });

  it('does not make a late-arriving touchpoint the last contact', async () => {
    const phone = uniquePhone().e164;
    const newest = await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(1) }));
    await recordTouchpoint(touchpointBody({ channel: 'letter', identifiers: { phone }, occurredAt: minutesAgo(60), summary: 'Late letter' }));

    const card = await cardByPhone(phone);

    expect(card.lastContact.touchpointId).toBe(newest.touchpointId);
    expect(card.countsByChannel.letter).toBe(1);
  });

  it('makes a touchpoint posted minutes after it happened the last contact when it is the newest', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(60) }));
    const occurredAt = minutesAgo(4);
    const callPostedAfterItEnded = await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt, summary: 'Long call' }));

    const card = await cardByPhone(phone);

    expect(card.lastContact).toEqual({ touchpointId: callPostedAfterItEnded.touchpointId, channel: 'call', occurredAt, summary: 'Long call' });
  });

  it('ranks the customer by the value of their touchpoints', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ identifiers: { phone }, value: 20_000 }));

    const card = await cardByPhone(phone);

    expect(card.valueTier).toEqual({ name: 'gold', scores: { recency: 4, frequency: 0, monetary: 4 }, monetaryTotal: 20_000 });
  });

  it('lists an open invoice query with its number, amount, status and age', async () => {
    const phone = uniquePhone().e164;
    const invoiceNumber = `INV-${unique()}`;
    const openedAt = daysAgo(3);
    await recordTouchpoint(
      invoiceQueryBody(phone, invoiceNumber, { status: 'open', reason: 'Charged twice', amount: { value: 129.5, currency: 'GBP' } }, openedAt),
    );

    const card = await cardByPhone(phone);

    expect(card.openInvoiceQueries).toEqual([
      {
        invoiceNumber,
        queryId: `Q-${invoiceNumber}`,
        status: 'open',
        reason: 'Charged twice',
        amount: { value: 129.5, currency: 'GBP' },
        openedAt,
        ageDays: 3,
      },
    ]);
  });

  it('keeps the amount, reason and age of an invoice query that moves to in progress', async () => {
    const phone = uniquePhone().e164;
    const invoiceNumber = `INV-${unique()}`;
    const openedAt = daysAgo(10);
    await recordTouchpoint(
      invoiceQueryBody(phone, invoiceNumber, { status: 'open', reason: 'Charged twice', amount: { value: 80, currency: 'GBP' } }, openedAt),
    );
    await recordTouchpoint(invoiceQueryBody(phone, invoiceNumber, { status: 'in_progress' }, minutesAgo(1)));

    const card = await cardByPhone(phone);

    expect(card.openInvoiceQueries).toEqual([
      expect.objectContaining({ status: 'in_progress', reason: 'Charged twice', amount: { value: 80, currency: 'GBP' }, openedAt, ageDays: 10 }),
    ]);
  });

  it('takes a resolved invoice query off the open list', async () => {
    const phone = uniquePhone().e164;
    const invoiceNumber = `INV-${unique()}`;
    await recordTouchpoint(invoiceQueryBody(phone, invoiceNumber, { status: 'open' }, minutesAgo(30)));
    await recordTouchpoint(invoiceQueryBody(phone, invoiceNumber, { status: 'in_progress' }, minutesAgo(20)));
    await recordTouchpoint(invoiceQueryBody(phone, invoiceNumber, { status: 'resolved' }, minutesAgo(10)));

    const card = await cardByPhone(phone);

    expect(card.openInvoiceQueries).toEqual([]);
    expect(card.countsByChannel.invoice_query).toBe(3);
  });

  it('does not reopen a resolved invoice query when its older in-progress status arrives late', async () => {
    const phone = uniquePhone().e164;
    const invoiceNumber = `INV-${unique()}`;
    await recordTouchpoint(invoiceQueryBody(phone, invoiceNumber, { status: 'open' }, minutesAgo(30)));
    await recordTouchpoint(invoiceQueryBody(phone, invoiceNumber, { status: 'resolved' }, minutesAgo(10)));
    await recordTouchpoint(invoiceQueryBody(phone, invoiceNumber, { status: 'in_progress' }, minutesAgo(20)));

    const card = await cardByPhone(phone);

    expect(card.openInvoiceQueries).toEqual([]);
  });

  it('counts an invoice query amount once in the monetary value', async () => {
    const phone = uniquePhone().e164;
    const invoiceNumber = `INV-${unique()}`;
    const amount = { value: 640, currency: 'GBP' };
    await recordTouchpoint(invoiceQueryBody(phone, invoiceNumber, { status: 'open', amount }, minutesAgo(20)));
    await recordTouchpoint(invoiceQueryBody(phone, invoiceNumber, { status: 'in_progress', amount }, minutesAgo(10)));

    const card = await cardByPhone(phone);

    expect(card.valueTier.monetaryTotal).toBe(640);
  });

  it('shows the last five pages visited, newest first, read from the recent history and not kept on the card item', async () => {
    const phone = uniquePhone().e164;
    const visits = 16;
    let customerId = '';
    for (let index = 1; index <= visits; index += 1) {
      ({ customerId } = await recordTouchpoint(
        touchpointBody({
          channel: 'web_visit',
          identifiers: { phone },
          occurredAt: minutesAgo(visits + 1 - index),
          details: { url: `https://www.example.org/page-${index}`, title: `Page ${index}` },
        }),
      ));
    }

    const card = await cardByPhone(phone);

    expect(card.recentPages.map((page: { url: string }) => page.url)).toEqual([16, 15, 14, 13, 12].map((index) => `https://www.example.org/page-${index}`));
    expect(card.countsByChannel.web_visit).toBe(visits);
    const [stored] = (await itemsOfEntity('card')).filter((item) => item.customerId === customerId);
    expect(stored).not.toHaveProperty('recentPages');
  });

  it('infers the preferred channel from the contact channel used most', async () => {
    const phone = uniquePhone().e164;
    await recordTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone }, occurredAt: minutesAgo(3) }));
    await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { phone }, occurredAt: minutesAgo(2) }));
    await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { phone }, occurredAt: minutesAgo(1) }));

    const card = await cardByPhone(phone);

    expect(card.preferredChannel).toEqual({ channel: 'email', basis: 'inferred' });
  });

  it('shows the preferred channel the customer stated, over the inferred one', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone } }));
    await putPreferences(customerId, { preferredChannel: 'mail', receivedVia: 'call', source: 'call-centre' });

    const card = await cardByPhone(phone);

    expect(card.preferredChannel).toEqual({ channel: 'mail', basis: 'stated' });
  });

  it('shows the contact permissions the customer gave, per channel and per identifier', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    const quietHours = { start: '21:00', end: '08:00', timeZone: 'Europe/London' };
    await putPreferences(customerId, {
      channels: { email: 'opted_in', sms: 'opted_out' },
      quietHours,
      identifiers: [{ type: 'phone', value: phone, channels: { phone: 'opted_out' } }],
      receivedVia: 'call',
      source: 'call-centre',
    });

    const card = await cardByPhone(phone);

    expect(card.contactPermissions).toEqual({
      channels: { phone: 'not_stated', email: 'opted_in', sms: 'opted_out', mail: 'not_stated' },
      quietHours,
      identifiers: [{ type: 'phone', value: phone, channels: { phone: 'opted_out' }, marketing: null }],
    });
  });

  it('tells when the card was last updated and when it was read', async () => {
    const phone = uniquePhone().e164;
    const before = new Date().toISOString();
    await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    const after = new Date().toISOString();

    const card = await cardByPhone(phone);

    expect(card.freshness.updatedAt >= before && card.freshness.updatedAt <= after).toBe(true);
    expect(card.freshness.readAt >= after).toBe(true);
  });
});
