import type { CardState } from './card.ts';
import type { Identifier } from './identifiers.ts';
import type { AttachedIdentifier, ContactPreferences, Customer, IdentifierPermissions, Touchpoint } from './model.ts';

/** A profile as stored, live or merged away. */
export interface ProfileRecord extends Customer {
  /** The survivor, once this customer was merged into another. */
  mergedInto: string | null;
  /** The merge that ended this profile. */
  mergedBy: string | null;
}

/** A touchpoint with the stack of merges/moves that carried it to where it is (newest last). */
export interface StoredTouchpoint extends Touchpoint {
  movedBy: string[];
  /** The item as stored, opaque to the domain: a move carries every attribute along (expiry and all). */
  stored: Record<string, unknown>;
}

export type MergeStatus = 'in_progress' | 'completed' | 'undoing' | 'undone';

/** The audit record of a merge of two customers, or of one touchpoint moved between them. */
export interface MergeRecord {
  mergeId: string;
  kind: 'merge' | 'move';
  targetCustomerId: string;
  sourceCustomerId: string;
  reason: string;
  /** Who did it: the staff member or system, or `automatic:<rule>`. */
  actor: string;
  status: MergeStatus;
  createdAt: string;
  completedAt: string | null;
  undoneAt: string | null;
  undoneBy: string | null;
  /** When an undo took the survivor's identity lock: an undo cut short is finished on schedule from then. */
  undoStartedAt?: string | null;
  /** The source's identifiers that now resolve to the target. */
  movedIdentifiers: Identifier[];
  /** Each moved identifier's owner and sharing before and after the merge: an undo restores `before`. */
  identifierStates: IdentifierState[];
  movedTouchpointCount: number;
  /** For a move: the touchpoint moved. */
  touchpointId: string | null;
  /** What the target had before the merge combined permissions into it: restored by an undo if unchanged since. */
  targetBefore: { preferences: ContactPreferences | null; identifierPermissions: Record<string, IdentifierPermissions> } | null;
}

export interface IdentifierOwner {
  customerId: string;
  sharedWith: string[];
}

export interface IdentifierState {
  identifier: Identifier;
  before: IdentifierOwner;
  after: IdentifierOwner;
}

export interface ProfileReplacement {
  card: CardState;
  expectedVersion: number;
  /**
   * Identifier entries to write and to drop, each by its own key: the list is never replaced whole,
   * so an identifier linked or attached while the card was recomputed is kept.
   */
  identifierChanges?: { set: AttachedIdentifier[]; remove: Identifier[] };
  preferences?: ContactPreferences | null;
  identifierPermissions?: Record<string, IdentifierPermissions>;
  /**
   * The merge being undone: bring its merged-away source back to life, held by the undo (its
   * identity lock) until the undo finishes, so that no erase or merge takes it half-way.
   */
  revive?: string;
}

export type LinkOutcome = { kind: 'linked' } | { kind: 'already-linked' } | { kind: 'owned-by-other'; customerId: string };

export interface MergeCandidate {
  candidateId: string;
  customerIds: [string, string];
  identifiers: Identifier[];
  occurrences: number;
  detectedAt: string;
  lastSeenAt: string;
  status: 'open' | 'dismissed' | 'merged';
}

/** Storage for the identity graph; each method is one round trip unless it says otherwise. */
export interface IdentityStore {
  readProfile(customerId: string): Promise<ProfileRecord | undefined>;
  readProfiles(customerIds: string[]): Promise<Map<string, ProfileRecord>>;
  findIdentifierOwner(identifier: Identifier): Promise<IdentifierOwner | undefined>;
  /**
   * Atomically: mark the source merged into the target and lock the target (both must be live and
   * unlocked), write the merge record and the audit pointers. Raises `ConflictError` otherwise.
   */
  beginMerge(record: MergeRecord): Promise<void>;
  /**
   * Atomically: mark the merge `undoing` (it must be `completed`) and lock its target (which must be
   * live and not locked by another undo), so that no merge of the target can run during the undo.
   * Raises `ConflictError` otherwise.
   */
  beginUndo(record: MergeRecord): Promise<void>;
  /** Atomically: mark the merge `completed` and release the target's lock; false when it was not `in_progress` (finished already). */
  finishMerge(mergeId: string, targetCustomerId: string, changes: Partial<MergeRecord>): Promise<boolean>;
  /** Atomically: mark the merge `undone` and release both customers' locks; false when it was not `undoing` (finished already). */
  finishUndo(record: Pick<MergeRecord, 'mergeId' | 'targetCustomerId' | 'sourceCustomerId'>, changes: Partial<MergeRecord>): Promise<boolean>;
  /**
   * Gives an identifier a new owner and sharing if it still has the expected ones; true when it
   * now has `next` (also when it already had), false when it changed hands meanwhile.
   */
  setIdentifierOwner(identifier: Identifier, expected: IdentifierOwner, next: IdentifierOwner, mergeId: string): Promise<boolean>;
  /** Every touchpoint in a customer's partition (pages through; several round trips for large histories). */
  listTouchpoints(customerId: string): Promise<StoredTouchpoint[]>;
  /** The touchpoint wherever it lives now (its locator leads there); undefined when there is none. */
  readTouchpoint(touchpointId: string): Promise<StoredTouchpoint | undefined>;
  /** The ids of other customers' touchpoints the customer's partition points to (its mentions). */
  listMentions(customerId: string): Promise<string[]>;
  /** Moves touchpoints to another customer's partition in atomic chunks; `movedBy` is each one's new stack. */
  moveTouchpoints(moves: Array<{ touchpoint: StoredTouchpoint; to: string; movedBy: string[] }>): Promise<void>;
  /**
   * Lets an erase of the customer find these touchpoints of others, which may carry its
   * identifiers (pointers in its partition); writes nothing once it is being erased or gone.
   */
  mentionTouchpoints(customerId: string, touchpointIds: string[]): Promise<void>;
  /** The customer a replay of the touchpoint's Idempotency-Key answers with; undefined if it was posted without one. */
  readAnsweredCustomer(touchpointId: string): Promise<string | undefined>;
  /** Writes an exactly recomputed card; raises `WriteRejectedError('card-stale')` if the version moved. */
  replaceProfile(customerId: string, replacement: ProfileReplacement): Promise<void>;
  readMergeRecord(mergeId: string): Promise<MergeRecord | undefined>;
  updateMergeRecord(mergeId: string, changes: Partial<MergeRecord>, expectedStatus: MergeStatus): Promise<boolean>;
  /**
   * Records what a merge in progress does to the source's identifiers, as `updateMergeRecord`
   * does, and lets an erase of any other customer the states name (a holder of a shared
   * identifier) find the record.
   */
  planMergeIdentifiers(record: MergeRecord, plan: Pick<MergeRecord, 'identifierStates'> & Partial<Pick<MergeRecord, 'movedIdentifiers'>>): Promise<boolean>;
  listMergeRecords(customerId: string): Promise<MergeRecord[]>;
  /** Merges and undos still in progress that began before the given instant, oldest first (an index, not a scan). */
  listUnfinishedMerges(startedBefore: string): Promise<MergeRecord[]>;
  linkIdentifier(customerId: string, identifier: AttachedIdentifier, shared: boolean): Promise<LinkOutcome>;
  /** False when the identifier is not linked to this customer. */
  unlinkIdentifier(customerId: string, identifier: Identifier): Promise<boolean>;
  listMergeCandidates(page: { limit: number; cursor?: string }): Promise<{ items: MergeCandidate[]; nextCursor: string | null }>;
  resolveMergeCandidate(candidateId: string, status: 'dismissed' | 'merged'): Promise<boolean>;
  /** Closes the candidate naming these two customers, if there is one. */
  closeMergeCandidate(customerIds: [string, string], status: 'dismissed' | 'merged'): Promise<boolean>;
  /**
   * After an undo: a candidate the merge closed no longer counts as merged; it is listed again
   * (open) as soon as a touchpoint shows the conflict again. A dismissed one stays dismissed.
   */
  reopenMergeCandidate(customerIds: [string, string]): Promise<void>;
  /** Moves one touchpoint and writes both customers' recomputed cards and the audit record, atomically. */
  moveTouchpoint(move: {
    touchpoint: StoredTouchpoint;
    to: string;
    record: MergeRecord;
    fromCard: { card: CardState; expectedVersion: number };
    toCard: { card: CardState; expectedVersion: number };
  }): Promise<void>;
}
