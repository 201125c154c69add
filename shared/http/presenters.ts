import { recognitionCard } from '../domain/card-view.ts';
import type { CustomerView } from '../domain/customer-store.ts';
import { byStrength } from '../domain/identifiers.ts';

export function presentCustomerView(view: CustomerView, now: Date = new Date()) {
  const { customer, recent } = view;
  const { card } = customer;
  return {
    customer: {
      customerId: customer.customerId,
      createdAt: customer.createdAt,
      identifiers: [...customer.identifiers].sort(byStrength).map(({ type, value }) => ({ type, value })),
    },
    summary: {
      touchpointCount: card.touchpointCount,
      countsByChannel: card.countsByChannel,
      lastContact: card.lastContact,
    },
    card: recognitionCard(view, now),
    recent,
    ...(view.redirectedFrom ? { redirectedFrom: view.redirectedFrom } : {}),
  };
}
