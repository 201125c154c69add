import type { CustomerView, TouchpointStore } from './customer-store.ts';
import { NotFoundError } from './errors.ts';
import type { Identifier } from './identifiers.ts';
import type { LastContact, TimelinePage, TimelineQuery } from './model.ts';

/** How many touchpoints a lookup shows: what an agent reads while the phone rings. */
export const recentTouchpointCount = 10;
/** Merges chain (A into B, B into C); following more than this many means something is wrong. */
const maxMergeHops = 5;

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
 */
export async function lookupCustomer(store: TouchpointStore, identifier: Identifier): Promise<LookupResult> {
  if (identifier.type === 'customerId') return { kind: 'customer', view: await getCustomer(store, identifier.value) };
  const owner = await store.findIdentifierOwner(identifier);
  if (!owner) throw new NotFoundError(`No customer is known by this ${identifier.type}.`);
  if (owner.sharedWith.length > 0) {
    const profiles = await store.readProfiles([owner.customerId, ...owner.sharedWith]);
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
  const view = await viewFollowingMerges(store, owner.customerId);
  if (!view) throw new NotFoundError(`No customer is known by this ${identifier.type}.`);
  return { kind: 'customer', view };
}

/** A merged-away customer answers with its survivor, never a dead end. */
export async function getCustomer(store: TouchpointStore, customerId: string): Promise<CustomerView> {
  const view = await viewFollowingMerges(store, customerId);
  if (!view) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return view;
}

async function viewFollowingMerges(store: TouchpointStore, customerId: string): Promise<CustomerView | undefined> {
  let view = await store.getCustomerView(customerId, recentTouchpointCount);
  for (let hops = 0; view?.mergedInto && hops < maxMergeHops; hops += 1) {
    view = await store.getCustomerView(view.mergedInto, recentTouchpointCount);
  }
  if (!view || view.mergedInto) return undefined;
  return view.customer.customerId === customerId ? view : { ...view, redirectedFrom: customerId };
}

/**
 * The timeline, following merges: a first page of a merged-away customer is the survivor's, and a
 * cursor continues where the touchpoints went. Whenever a read reaches the end of a timeline, the
 * profile says whether that is the end, or a merge moved the rest to a survivor, where the page
 * then goes on from the same position (a timeline position is customer-independent). So paging
 * through a merge never ends early; the answer names the customer it was read from.
 */
export async function getTimeline(
  store: TouchpointStore,
  customerId: string,
  query: TimelineQuery,
): Promise<TimelinePage & { customerId?: string; redirectedFrom?: string }> {
  let read = await store.getTimelinePage(customerId, query);
  if (read.readFrom !== customerId) {
    // A cursor that had moved on to a survivor: the timeline may have moved again since (another
    // merge, or an undo that gave it back), so it is read from wherever it lives now.
    const holder = await liveHolder(store, customerId);
    if (!holder) throw new NotFoundError(`No customer has the id ${customerId}.`);
    if (holder !== read.readFrom) read = await store.getTimelinePage(customerId, { ...query, continueOn: holder });
  }
  const items = [...read.items];
  for (let hops = 0; read.nextCursor === null && hops <= maxMergeHops; hops += 1) {
    const profile = await store.readProfile(read.readFrom);
    if (!profile) {
      if (!query.cursor && hops === 0 && items.length === 0) throw new NotFoundError(`No customer has the id ${customerId}.`);
      break;
    }
    if (!profile.mergedInto) break;
    read = await store.getTimelinePage(customerId, {
      ...query,
      limit: Math.max(1, query.limit - items.length),
      cursor: read.resume,
      continueOn: profile.mergedInto,
    });
    items.push(...read.items);
  }
  const page = { items, nextCursor: read.nextCursor };
  return read.readFrom === customerId ? page : { ...page, customerId: read.readFrom, redirectedFrom: customerId };
}

/** The live customer whose timeline holds this customer's touchpoints now: itself, or the end of its merges. */
async function liveHolder(store: TouchpointStore, customerId: string): Promise<string | undefined> {
  let current = customerId;
  for (let hops = 0; hops <= maxMergeHops; hops += 1) {
    const profile = await store.readProfile(current);
    if (!profile) return undefined;
    if (!profile.mergedInto) return current;
    current = profile.mergedInto;
  }
  return undefined;
}
