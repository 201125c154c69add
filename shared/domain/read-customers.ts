import type { CustomerStore, CustomerView } from './customer-store.ts';
import { NotFoundError } from './errors.ts';
import type { Identifier } from './identifiers.ts';
import type { TimelinePage, TimelineQuery } from './model.ts';

/** How many touchpoints a lookup shows: what an agent reads while the phone rings. */
export const recentTouchpointCount = 10;

/** Recognises a customer by one identifier: the identifier's owner, then its profile and recent history. */
export async function lookupCustomer(store: CustomerStore, identifier: Identifier): Promise<CustomerView> {
  const customerId =
    identifier.type === 'customerId' ? identifier.value : await store.findCustomerIdByIdentifier(identifier);
  const view = customerId === undefined ? undefined : await store.getCustomerView(customerId, recentTouchpointCount);
  if (!view) throw new NotFoundError(`No customer is known by this ${identifier.type}.`);
  return view;
}

export async function getCustomer(store: CustomerStore, customerId: string): Promise<CustomerView> {
  const view = await store.getCustomerView(customerId, recentTouchpointCount);
  if (!view) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return view;
}

export async function getTimeline(store: CustomerStore, customerId: string, query: TimelineQuery): Promise<TimelinePage> {
  const page = await store.getTimelinePage(customerId, query);
  if (!page) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return page;
}
