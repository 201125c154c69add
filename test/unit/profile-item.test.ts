import { describe, expect, it } from 'vitest';
import { cardView } from '../../shared/domain/card-view.ts';
import { toCustomer } from '../../shared/db/profile-item.ts';

const profile = {
  pk: 'CUST#cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
  sk: 'Z#PROFILE',
  entity: 'customer',
  customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
  createdAt: '2026-11-01T10:00:00.000Z',
  identifiers: {},
  traits: {},
};

/** A card item as DynamoDB hands it back, with the given invoice queries map. */
function cardWithQueries(invoiceQueries: Record<string, unknown>): Record<string, unknown> {
  return { pk: profile.pk, sk: 'Z#CARD', entity: 'card', customerId: profile.customerId, invoiceQueries };
}

const open = (invoiceNumber: string, queryId: string | null) => ({
  invoiceNumber,
  queryId,
  status: 'open',
  reason: null,
  amount: null,
  openedAt: '2026-11-20T10:00:00.000Z',
  updatedAt: '2026-11-20T10:00:00.000Z',
  resolvedAt: null,
});

describe('reading the invoice queries of a card item', () => {
  it('keys every query anew from its own fields, so cards written before the namespaced keys read the same', () => {
    const customer = toCustomer(profile, cardWithQueries({ 'Q-1': open('INV-1', 'Q-1'), 'INV-2': open('INV-2', null) }));

    expect(Object.keys(customer.card.invoiceQueries).sort()).toEqual(['invoice#INV-2', 'query#Q-1']);
  });

  it('shows a card whose stored map a __proto__ query once spilled into (strings and nulls beside the queries), instead of failing', () => {
    // What an item written before the fix holds: the fields of the `__proto__` query copied into the map itself.
    const spilled = { invoiceNumber: 'INV1', queryId: '__proto__', status: 'open', resolvedAt: null, reason: null, constructor: open('INV1', 'constructor') };

    const view = cardView(toCustomer(profile, cardWithQueries(spilled)), new Date('2026-12-01T10:00:00.000Z'));

    expect(view.openInvoiceQueries).toEqual([expect.objectContaining({ queryId: 'constructor' })]);
  });
});
