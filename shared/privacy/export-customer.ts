import { cardView } from '../domain/card-view.ts';
import { NotFoundError } from '../domain/errors.ts';
import { isAccessLogSortKey, isTimelineSortKey } from '../db/keys.ts';
import type { PrivacyStore } from '../db/privacy-store.ts';
import { toCustomer } from '../db/profile-item.ts';
import { defaultExportPageSize } from '../schemas/privacy.ts';

type Item = Record<string, unknown>;

const maxMergeHops = 5;

export interface ExportPage {
  customerId: string;
  exportedAt: string;
  /** Set when the id asked for was merged into this customer. */
  redirectedFrom?: string;
  /** On the first page only: the profile as stored, its identifiers with provenance, the card as shown. */
  customer?: Item;
  identifiers?: Item[];
  card?: unknown;
  preferences?: unknown;
  touchpoints: Item[];
  merges: Item[];
  accessLog: Item[];
  /** Anything else kept in the customer's partition (a kind of item this export does not know by name). */
  other: Item[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

/**
 * A data subject access (and portability) export: everything held about the customer, as JSON.
 * Paged: the first page holds the profile, identifiers, card and preferences and the newest
 * partition items; each further page (`cursor`) more touchpoints, then merges and the access log.
 */
export async function exportCustomer(
  store: PrivacyStore,
  customerId: string,
  page: { cursor?: string; limit?: number },
  now = new Date(),
): Promise<ExportPage> {
  const limit = page.limit ?? defaultExportPageSize;
  const subject = page.cursor ? { customerId, profile: undefined } : await liveSubject(store, customerId);
  const read = await store.partitionPage(subject.customerId, { limit, newestFirst: true, ...(page.cursor ? { cursor: page.cursor } : {}) });
  const document: ExportPage = {
    customerId: subject.customerId,
    exportedAt: now.toISOString(),
    ...(subject.customerId !== customerId ? { redirectedFrom: customerId } : {}),
    touchpoints: [],
    merges: [],
    accessLog: [],
    other: [],
    nextCursor: read.nextCursor,
  };
  if (subject.profile) {
    const customer = toCustomer(subject.profile);
    document.customer = withoutKeys(subject.profile);
    document.identifiers = customer.identifiers.map((identifier) => ({ ...identifier }));
    document.card = cardView(customer, now);
    document.preferences = { preferences: customer.preferences, identifierPermissions: customer.identifierPermissions };
  }
  const mergeIds: string[] = [];
  for (const item of read.items) {
    const sk = item.sk as string;
    if (sk === 'Z#PROFILE') continue;
    if (isTimelineSortKey(sk)) document.touchpoints.push(withoutKeys(item));
    else if (isAccessLogSortKey(sk)) document.accessLog.push(withoutKeys(item));
    else if (sk.startsWith('M#')) mergeIds.push(sk.slice(2));
    else document.other.push(withoutKeys(item));
  }
  document.merges = (await store.readMergeRecords(mergeIds)).map(withoutKeys);
  return document;
}

async function liveSubject(store: PrivacyStore, customerId: string): Promise<{ customerId: string; profile: Item }> {
  let current = customerId;
  for (let hops = 0; hops <= maxMergeHops; hops += 1) {
    const profile = await store.readProfile(current);
    if (!profile || profile.entity !== 'customer') break;
    if (typeof profile.mergedInto !== 'string') return { customerId: current, profile };
    current = profile.mergedInto;
  }
  throw new NotFoundError(`No customer has the id ${customerId}.`);
}

/** The stored attributes, without the table's own keys. */
function withoutKeys(item: Item): Item {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, ...rest } = item;
  return rest;
}
