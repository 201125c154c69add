import { cardView } from '../domain/card-view.ts';
import type { PartitionRecord, PrivacyStore } from '../domain/privacy-store.ts';
import { defaultExportPageSize } from '../schemas/privacy.ts';
import { findSubject, foreignTouchpoint, membersOf, recordRole, soleValues, withoutHolders } from './person.ts';

type Item = Record<string, unknown>;

export interface ExportPage {
  customerId: string;
  exportedAt: string;
  /** Set when the id asked for was merged into this customer. */
  redirectedFrom?: string;
  /** Every customer that is this person: the survivor first, then each customer merged into it. */
  customerIds: string[];
  /** On the first page only: the profile as stored, its identifiers with provenance, the card as shown. */
  customer?: Item;
  identifiers?: Item[];
  card?: unknown;
  preferences?: unknown;
  touchpoints: Item[];
  merges: Item[];
  accessLog: Item[];
  /** Profiles of customers merged into this one (anonymous visitors, duplicates), as stored. */
  mergedProfiles: Item[];
  /** Identifiers the person holds or held (each a pointer kept with the identifier's first claim). */
  identifierClaims: Item[];
  /** Other customers' touchpoints that carried the person's identifiers or named it: only what is the person's. */
  mentions: Item[];
  /** Merge candidates pairing the person with another customer. */
  mergeCandidates: Item[];
  /** Merges of other customers that moved identifiers the person shared with them: which, as the merge keeps them for its undo. */
  sharedInMerges: Item[];
  /** Anything else kept in the person's partitions (a kind of item this export does not know by name). */
  other: Item[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

/**
 * A data subject access (and portability) export: everything held about the person, as JSON, by
 * the traversal erase uses (shared/privacy/person.ts), so what an erase removes or redacts was
 * here first. Paged over the partitions of the person's customers, survivor first, newest first.
 */
export async function exportCustomer(
  store: PrivacyStore,
  customerId: string,
  page: { cursor?: string; limit?: number },
  now = new Date(),
): Promise<ExportPage> {
  const limit = page.limit ?? defaultExportPageSize;
  const subject = await findSubject(store, customerId, 'live');
  const members = await membersOf(store, subject.customerId);
  const memberSet = new Set(members);
  const needles = [...members, ...(await soleValues(store, members))];
  const document: ExportPage = {
    customerId: subject.customerId,
    exportedAt: now.toISOString(),
    ...(subject.redirectedFrom ? { redirectedFrom: subject.redirectedFrom } : {}),
    customerIds: members,
    touchpoints: [],
    merges: [],
    accessLog: [],
    mergedProfiles: [],
    identifierClaims: [],
    mentions: [],
    mergeCandidates: [],
    sharedInMerges: [],
    other: [],
    nextCursor: null,
  };
  if (!page.cursor && subject.profile?.customer) {
    const { customer } = subject.profile;
    document.customer = subject.profile.stored;
    document.identifiers = customer.identifiers.map((identifier) => ({ ...identifier }));
    document.card = cardView(customer, now);
    document.preferences = { preferences: customer.preferences, identifierPermissions: customer.identifierPermissions };
  }

  let current = page.cursor ? store.cursorCustomer(page.cursor, members, subject.customerId) : subject.customerId;
  let cursor = page.cursor;
  let remaining = limit;
  for (;;) {
    const read = await store.partitionPage(current, {
      limit: remaining,
      newestFirst: true,
      person: subject.customerId,
      ...(cursor ? { cursor } : {}),
    });
    for (const record of read.records) await file(record);
    remaining -= read.records.length;
    const next = members[members.indexOf(current) + 1];
    if (read.nextCursor) {
      document.nextCursor = read.nextCursor;
      break;
    }
    if (!next) break;
    current = next;
    cursor = store.partitionStartCursor(next, subject.customerId);
    if (remaining <= 0) {
      document.nextCursor = cursor;
      break;
    }
  }
  return document;

  async function file(record: PartitionRecord): Promise<void> {
    const owner = record.customerId;
    switch (record.kind) {
      case 'profile':
        // With its card's attributes, as the subject's own profile is shown (the card may sit on another page).
        if (owner !== subject.customerId) document.mergedProfiles.push((await store.readProfile(owner))?.stored ?? record.stored);
        return;
      case 'card':
        // Shown with its profile.
        return;
      case 'touchpoint':
        document.touchpoints.push(record.stored);
        return;
      case 'accessLog':
        document.accessLog.push(record.stored);
        return;
      case 'mergePointer': {
        const { mergeId } = record;
        // Both parties' pointers lead to one record: shown once.
        if (document.merges.some((merge) => merge.mergeId === mergeId)) return;
        const [merge] = await store.readMergeRecords([mergeId]);
        // Between two of the person's customers: shown once, from the target's side.
        if (!merge || (recordRole(merge, memberSet).internal && merge.sourceCustomerId === owner)) return;
        document.merges.push(merge.stored);
        if (merge.kind === 'move' && typeof merge.touchpointId === 'string') await mention(merge.touchpointId, 'moved');
        return;
      }
      case 'identifierClaim':
        document.identifierClaims.push({ type: record.identifier.type, value: record.identifier.value });
        return;
      case 'mention':
        await mention(record.touchpointId, 'mentioned');
        return;
      case 'candidateHalf': {
        const candidate = await store.readMergeCandidate([owner, record.otherCustomerId]);
        if (!candidate) return;
        document.mergeCandidates.push(candidate.stored);
        if (candidate.lastTouchpointId !== undefined) await mention(candidate.lastTouchpointId, 'mentioned');
        return;
      }
      case 'mergeSharer': {
        const [merge] = await store.readMergeRecords([record.mergeId]);
        const parties = merge ? [merge.sourceCustomerId, merge.targetCustomerId] : [];
        const held = new Set(members.filter((member) => !parties.includes(member)));
        const states = merge?.identifierStates.filter((state) => withoutHolders([state], held));
        if (!merge || !states?.length) return;
        document.sharedInMerges.push({
          mergeId: merge.mergeId,
          createdAt: merge.createdAt,
          status: merge.status,
          identifiers: states.map(({ identifier }) => ({ type: identifier.type, value: identifier.value })),
        });
        return;
      }
      case 'other':
        document.other.push(record.stored);
    }
  }

  /**
   * What of another customer's touchpoint is the person's: exactly what an erase would take out of
   * it, and of the answer its Idempotency-Key's record gives (recorded on the person, then moved).
   */
  async function mention(touchpointId: string, how: 'moved' | 'mentioned'): Promise<void> {
    if (document.mentions.some((entry) => entry.touchpointId === touchpointId)) return;
    const found = await foreignTouchpoint(store, touchpointId, memberSet, needles);
    if (!found) return;
    const answered = (await store.readLocatorAnswer(touchpointId))?.customerId;
    const replayAnswersWith = typeof answered === 'string' && memberSet.has(answered) ? answered : undefined;
    const { touchpoint, redaction } = found;
    if (!redaction.redacted && !replayAnswersWith) return;
    document.mentions.push({
      touchpointId,
      how,
      channel: touchpoint.stored.channel,
      occurredAt: touchpoint.stored.occurredAt,
      ...redaction.removed,
      ...(replayAnswersWith ? { replayAnswersWith } : {}),
    });
  }
}
