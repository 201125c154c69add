import { NotFoundError } from '../domain/errors.ts';
import { type Identifier, identifierKey } from '../domain/identifiers.ts';
import type { IdentifierOwner, IdentifierState, MergeRecord } from '../domain/identity-store.ts';
import type { PrivacyStore, StoredProfile, TouchpointRecord } from '../domain/privacy-store.ts';
import { identifiersOf, redactTouchpoint, type TouchpointRedaction } from './redaction.ts';

/**
 * The one traversal erase and export share: which customers are one person, and what elsewhere
 * mentions them. What erase removes or redacts is exactly what export shows, because both walk
 * the same members, the same partitions and the same cross-references.
 */

/** Longer than any real merge chain; a guard against a cycle, which the merge conditions already prevent. */
const maxMergeHops = 50;

export interface Subject {
  /** The survivor: the customer every merged-away id of the person leads to. */
  customerId: string;
  profile: StoredProfile | undefined;
  redirectedFrom?: string;
}

/**
 * The survivor of the customer asked for. `live` (export) wants a live customer; `erasable` (erase)
 * also takes one whose erase is under way, or a partition an interrupted erase left items in.
 */
export async function findSubject(store: PrivacyStore, customerId: string, want: 'live' | 'erasable'): Promise<Subject> {
  let current = customerId;
  for (let hops = 0; hops <= maxMergeHops; hops += 1) {
    const profile = await store.readProfile(current);
    const redirect = current === customerId ? {} : { redirectedFrom: customerId };
    if (!profile) {
      if (want === 'erasable' && current === customerId && (await store.partitionPage(current, { limit: 1 })).records.length > 0) {
        return { customerId: current, profile: undefined };
      }
      break;
    }
    if (profile.erasing) {
      if (want === 'erasable') return { customerId: current, profile, ...redirect };
      break;
    }
    if (profile.mergedInto === null) return { customerId: current, profile, ...redirect };
    current = profile.mergedInto;
  }
  throw new NotFoundError(`No customer has the id ${customerId}.`);
}

export interface MergeRecordRole {
  /** Both parties are this person: the record goes with them. */
  internal: boolean;
  /** For an internal merge: the member merged away by it (its record goes once that member is gone). */
  mergedMember?: string;
}

/** Whether a merge or move record is between two of the person's customers, or with someone else. */
export function recordRole(record: MergeRecord, members: ReadonlySet<string>): MergeRecordRole {
  if (!members.has(record.targetCustomerId) || !members.has(record.sourceCustomerId)) return { internal: false };
  return record.kind === 'merge' ? { internal: true, mergedMember: record.sourceCustomerId } : { internal: true };
}

/**
 * The person's customers, survivor first: every customer merged into it, at any depth, and merges
 * still in progress (their source is frozen, already merged). An undone merge parted them again. A
 * member whose profile is gone while its merge record stays was erased half-way: it is still found,
 * so a repeat of the erase finishes it.
 */
export async function membersOf(store: PrivacyStore, survivor: string): Promise<string[]> {
  const members = [survivor];
  for (let index = 0; index < members.length; index += 1) {
    const member = members[index] as string;
    for (const record of await store.readMergeRecords(await store.mergePointers(member))) {
      const source = record.sourceCustomerId;
      if (record.kind !== 'merge' || record.targetCustomerId !== member || members.includes(source)) continue;
      if (record.status !== 'completed' && record.status !== 'in_progress' && record.status !== 'undoing') continue;
      const profile = await store.readProfile(source);
      if (profile ? profile.mergedInto === member : record.status !== 'undoing') members.push(source);
    }
  }
  return members;
}

/**
 * The identifier values the person's profiles list that nobody else holds: text quoting one of
 * them in another customer's record is the person's (an erase replaces it, an export shows it).
 */
export async function soleValues(store: PrivacyStore, members: readonly string[]): Promise<string[]> {
  const memberSet = new Set(members);
  const values: string[] = [];
  for (const member of members) {
    const profile = await store.readProfile(member);
    for (const identifier of profile?.identifiers ?? []) {
      if (identifier.type === 'customerId' || typeof identifier.value !== 'string') continue;
      if (!heldByOthers(await store.readIdentifier(identifier), memberSet)) values.push(identifier.value);
    }
  }
  return values;
}

/** Someone outside the person still holds the identifier item: the value is theirs too and stays. */
export function heldByOthers(holders: IdentifierOwner | undefined, members: ReadonlySet<string>): boolean {
  if (!holders) return false;
  return !members.has(holders.customerId) || holders.sharedWith.some((customerId) => !members.has(customerId));
}

export interface ForeignTouchpoint {
  touchpoint: TouchpointRecord;
  redaction: TouchpointRedaction;
}

/**
 * A touchpoint of another customer that the person's partitions point to (a mention, a move away,
 * a merge candidate's last touchpoint), with what in it is the person's. Undefined when it is gone
 * or lives with the person itself (it is then erased and exported with its partition).
 */
export async function foreignTouchpoint(
  store: PrivacyStore,
  touchpointId: string,
  members: ReadonlySet<string>,
  needles: readonly string[],
): Promise<ForeignTouchpoint | undefined> {
  const touchpoint = await store.readTouchpoint(touchpointId);
  if (!touchpoint || members.has(touchpoint.customerId)) return undefined;
  const erased = new Set<string>();
  const identifiers = [
    ...identifiersOf(touchpoint.stored.identifiers),
    ...(((touchpoint.stored.ambiguity as { sharedIdentifiers?: Identifier[] } | undefined)?.sharedIdentifiers ?? []) as Identifier[]),
  ].filter((identifier) => identifier.type !== 'customerId');
  for (const identifier of identifiers) {
    if (!heldByOthers(await store.readIdentifier(identifier), members)) erased.add(identifierKey(identifier));
  }
  const ids = new Set(members);
  const values = identifiers.filter((identifier) => erased.has(identifierKey(identifier))).map((identifier) => identifier.value);
  const redaction = redactTouchpoint(touchpoint.stored, ids, (identifier) => erased.has(identifierKey(identifier)), [...needles, ...members, ...values]);
  return { touchpoint, redaction };
}

/**
 * The states with the given customers taken out of every holder list, as an erase releases them
 * (the next holder owns what one of them owned); undefined when no state names them.
 */
export function withoutHolders(states: IdentifierState[], gone: ReadonlySet<string>): IdentifierState[] | undefined {
  const names = (owner: IdentifierOwner) => [owner.customerId, ...owner.sharedWith].some((customerId) => gone.has(customerId));
  if (!states.some(({ before, after }) => names(before) || names(after))) return undefined;
  const strip = (owner: IdentifierOwner): IdentifierOwner => {
    const [customerId, ...sharedWith] = [owner.customerId, ...owner.sharedWith].filter((holder) => !gone.has(holder));
    return customerId === undefined ? owner : { customerId, sharedWith };
  };
  return states.map((state) => ({ ...state, before: strip(state.before), after: strip(state.after) }));
}
