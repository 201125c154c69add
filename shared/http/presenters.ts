import type { CustomerView } from '../domain/customer-store.ts';
import { byStrength } from '../domain/identifiers.ts';

export function presentCustomerView(view: CustomerView) {
  const { customer, recent } = view;
  return {
    customer: {
      customerId: customer.customerId,
      createdAt: customer.createdAt,
      identifiers: [...customer.identifiers].sort(byStrength).map(({ type, value }) => ({ type, value })),
    },
    summary: customer.summary,
    recent,
  };
}
