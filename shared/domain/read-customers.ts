import type { CustomerView, TouchpointStore } from './customer-store.ts';
import { NotFoundError } from './errors.ts';
import type { Identifier } from './identifiers.ts';
import type { LastContact } from './card.ts';
import type { ReadObserver } from './read-observer.ts';
import type { TimelinePage, TimelineQuery } from './model.ts';

/** How many touchpoints a lookup shows: what an agent reads while the phone rings. */
export const recentTouchpointCount = 10;
/** Merges chain (A into B, B into C); following more than this many means something is wrong. */
export const maxMergeHops = 5;

export interface Candidate {
  customerId: string;
  displayName: string | null;
  matchedBy: Identifier & { shared: true };
  lastContact: LastContact | null;
}

export type LookupResult = { kind: 'customer'; view: CustomerView } | { kind: 'ambiguous'; candidates: Candidate[] };

/**
 * Recognises a customer by one identifier: its owner, then the profile and recent history (two
 * round trips). A shared identifier (a household landline) does not guess: it names the candidates.
 * `reads` hears of each customer before its data is fetched.
 */
export async function lookupCustomer(store: TouchpointStore, identifier: Identifier, reads?: ReadObserver): Promise<LookupResult> {
  if (identifier.type === 'customerId') return { kind: 'customer', view: await getCustomer(store, identifier.value, reads) };
  const owner = await store.findIdentifierOwner(identifier);
  if (!owner) throw new NotFoundError(`No customer is known by this ${identifier.type}.`);
  if (owner.sharedWith.length > 0) {
    const sharing = [owner.customerId, ...owner.sharedWith];
    for (const customerId of sharing) reads?.reading(customerId);
    const profiles = await store.readProfiles(sharing);
    const candidates = [...profiles.values()]
      .filter((profile) => !profile.mergedInto)
      .map((profile) => ({
        customerId: profile.customerId,
        displayName: profile.displayName,
        matchedBy: { ...identifier, shared: true as const },
        lastContact: profile.card.lastContact,
      }))
      .sort((a, b) => (b.lastContact?.occurredAt ?? '').localeCompare(a.lastContact?.occurredAt ?? ''));
    return { kind: 'ambiguous', candidates };
  }
  const view = await viewFollowingMerges(store, owner.customerId, reads);
  if (!view) throw new NotFoundError(`No customer is known by this ${identifier.type}.`);
  return { kind: 'customer', view };
}

/** A merged-away customer answers with its survivor, never a dead end. */
export async function getCustomer(store: TouchpointStore, customerId: string, reads?: ReadObserver): Promise<CustomerView> {
  const view = await viewFollowingMerges(store, customerId, reads);
  if (!view) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return view;
}

async function viewFollowingMerges(store: TouchpointStore, customerId: string, reads?: ReadObserver): Promise<CustomerView | undefined> {
  reads?.reading(customerId);
  let view = await store.getCustomerView(customerId, recentTouchpointCount);
  for (let hops = 0; view?.mergedInto && hops < maxMergeHops; hops += 1) {
    reads?.reading(view.mergedInto);
    view = await store.getCustomerView(view.mergedInto, recentTouchpointCount);
  }
  if (!view || view.mergedInto) return undefined;
  return view.customer.customerId === customerId ? view : { ...view, redirectedFrom: customerId };
}

/**
 * The timeline, following merges: the page holds the customer's touchpoints wherever a merge has
 * moved them (or is moving them), and a cursor goes on there, so paging through a merge never ends
 * early; the answer names the survivor it was read from.
 */
export async function getTimeline(
  store: TouchpointStore,
  customerId: string,
  query: TimelineQuery,
): Promise<TimelinePage & { customerId?: string; redirectedFrom?: string }> {
  const { holder, ...page } = await store.getTimelinePage(customerId, query);
  if (!holder && !query.cursor && page.items.length === 0) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return holder && holder !== customerId ? { ...page, customerId: holder, redirectedFrom: customerId } : page;
}
