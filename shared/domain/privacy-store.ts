import type { Identifier } from './identifiers.ts';
import type { IdentifierOwner, MergeRecord } from './identity-store.ts';
import type { AttachedIdentifier, Customer } from './model.ts';

/**
 * The port of the privacy use cases (shared/privacy: erase, export, lift suppression): the records
 * of a person as typed records, each with `stored`, its attributes as kept (without the table's
 * keys), which an export shows and a redaction rewrites. shared/db/privacy-store.ts implements it
 * and is the only code that knows the items, keys and suppression items behind it.
 */

/** A record's attributes as stored, without the table's keys and index keys: opaque to the use cases beyond what they show or redact. */
export type StoredAttributes = Record<string, unknown>;

/** A rewrite of some of a record's attributes: those set anew, and those it no longer has. */
export interface AttributeChanges {
  set: StoredAttributes;
  remove: string[];
}

/** A customer's profile as stored, whatever its state (live, merged away, under erasure). */
export interface StoredProfile {
  customerId: string;
  /** Marked by an erase: readers see nobody, writers refuse it. */
  erasing: boolean;
  /** The survivor, once this customer was merged into another. */
  mergedInto: string | null;
  identifiers: AttachedIdentifier[];
  /** The card version a rewrite of its attributes is guarded by. */
  cardVersion: number | undefined;
  /** The customer as the API shows it; absent under erasure. */
  customer: Customer | undefined;
  stored: StoredAttributes;
}

/**
 * One record of a customer's partition, by kind. `position` is where it sits in the partition: a
 * value of the store's own, handed back to delete the record.
 */
export type PartitionRecord = { customerId: string; position: string } & (
  | { kind: 'profile'; stored: StoredAttributes }
  /** The customer's recognition card, beside the profile: deleting either deletes both, and an export shows it with the profile. */
  | { kind: 'card'; stored: StoredAttributes }
  | { kind: 'touchpoint'; touchpointId: string; stored: StoredAttributes }
  | { kind: 'accessLog'; stored: StoredAttributes }
  /** The customer took part in this merge or move. */
  | { kind: 'mergePointer'; mergeId: string }
  /** An identifier item may name this customer: looked at even when the profile lost the identifier. */
  | { kind: 'identifierClaim'; identifier: Identifier }
  /** Another customer's touchpoint mentions this customer. */
  | { kind: 'mention'; touchpointId: string }
  /** This customer's half of a merge candidate pairing it with another. */
  | { kind: 'candidateHalf'; otherCustomerId: string }
  /** A merge between two other customers names this one as a holder of a shared identifier it moved. */
  | { kind: 'mergeSharer'; mergeId: string }
  /** A kind of record the use cases do not know by name: erased and exported all the same. */
  | { kind: 'other'; stored: StoredAttributes }
);

export type TouchpointRecord = Extract<PartitionRecord, { kind: 'touchpoint' }>;

export interface PartitionPage {
  records: PartitionRecord[];
  /** Where to continue, as an opaque cursor; null at the partition's end. */
  nextCursor: string | null;
}

/** A merge or move record, typed, with its attributes as stored. */
export interface StoredMergeRecord extends MergeRecord {
  stored: StoredAttributes;
}

export interface StoredMergeCandidate {
  /** The touchpoint that last showed the two customers claiming one identifier. */
  lastTouchpointId: string | undefined;
  stored: StoredAttributes;
}

/** What an erase deletes: a record of a partition as read, or one the person's records lead to. */
export type DeletedRecord =
  | Pick<PartitionRecord, 'customerId' | 'position'>
  /** Where a touchpoint lives, with the idempotency record it carries. */
  | { touchpointLocator: string }
  | { mergeRecord: string }
  | { mergePointer: { customerId: string; mergeId: string } }
  | { mergeCandidate: [string, string] }
  | { candidateHalf: { customerId: string; otherCustomerId: string } }
  | { mergeSharer: { customerId: string; mergeId: string } };

/**
 * What an erase answered, kept for its repeats (a client whose answer was lost must still learn
 * the suppression hashes it needs to lift one): counts and keyed hashes only, no customer id and
 * no identifier value.
 */
export interface ErasureReceipt {
  erasedAt: string;
  itemsDeleted: number;
  itemsRedacted: number;
  identifiersReleased: number;
  suppressions: Array<{ type: string; hash: string }>;
}

/** What became of an identifier when its customer was erased. */
export type Release = 'not-ours' | 'deleted' | 'released';

/** The outcome of marking a profile for erasure. */
export type EraseMark = 'marked' | 'already-erasing' | 'locked' | 'changed';

/**
 * The storage side of erase and export: generic over what a customer's partition holds, so that
 * record kinds added later are erased and exported without a change to the use cases.
 */
export interface PrivacyStore {
  readProfile(customerId: string): Promise<StoredProfile | undefined>;
  /**
   * Marks the profile for erasure: from then on readers see nobody and writers refuse it. Only a
   * live, unlocked customer is marked; a merge or undo under way holds the identity lock.
   */
  markErasing(customerId: string, startedAt: string): Promise<EraseMark>;
  /**
   * One read of the customer's partition, every kind of record, oldest first (or newest first).
   * `cursor` is a cursor this store issued for any of `cursorCustomer`'s customers (export pages
   * across a person's partitions).
   */
  partitionPage(
    customerId: string,
    /** `person`: the survivor an export pages under (its cursors are bound to it); the partition's own customer by default. */
    page: { limit: number; cursor?: string; newestFirst?: boolean; person?: string },
  ): Promise<PartitionPage>;
  /** Where a cursor issued by `partitionPage` continues, if it is one for one of these customers. */
  cursorCustomer(cursor: string, customerIds: readonly string[], person: string): string;
  /** A cursor that starts the customer's partition from its newest record. */
  partitionStartCursor(customerId: string, person: string): string;
  /** The merge ids of the merges and moves the customer took part in. */
  mergePointers(customerId: string): Promise<string[]>;
  readMergeRecords(mergeIds: string[]): Promise<StoredMergeRecord[]>;
  /** Who holds the identifier (its owner, and whoever shares it), and the last merge that moved it (whose record may name its holders). */
  readIdentifier(identifier: Identifier): Promise<(IdentifierOwner & { lastMergeId?: string }) | undefined>;
  /**
   * Lets go of an identifier the erased customers (`members`) hold: deleted if nobody else holds
   * it; else handed to the first other customer it is shared with, or the members taken out of
   * its `sharedWith`. Conditional on the holders as read: a concurrent change is never overwritten.
   */
  releaseIdentifier(identifier: Identifier, members: ReadonlySet<string>, holders: IdentifierOwner): Promise<Release>;
  /** A touchpoint by its id, wherever it lives now. */
  readTouchpoint(touchpointId: string): Promise<TouchpointRecord | undefined>;
  /** The answer a replay of the touchpoint's Idempotency-Key gives, if it was posted with one. */
  readLocatorAnswer(touchpointId: string): Promise<StoredAttributes | undefined>;
  readMergeCandidate(customerIds: [string, string]): Promise<StoredMergeCandidate | undefined>;
  /** The customers a customer is paired with in merge candidates (its candidate halves). */
  candidatePartners(customerId: string): Promise<string[]>;
  /** Rewrites a touchpoint that still is where it was read; false if it vanished meanwhile (moved, deleted). */
  rewriteTouchpoint(touchpoint: TouchpointRecord, changes: AttributeChanges): Promise<boolean>;
  /**
   * Rewrites a merge or move record whose changed attributes are still as read (two erases of its
   * two customers at once must not undo each other's redaction); false if they changed or the
   * record vanished meanwhile.
   */
  rewriteMergeRecord(mergeId: string, changes: AttributeChanges, asRead: StoredAttributes): Promise<boolean>;
  /** Rewrites a merge candidate whose changed attributes are still as read; false if they changed or it vanished meanwhile. */
  rewriteMergeCandidate(customerIds: [string, string], changes: AttributeChanges, asRead: StoredAttributes): Promise<boolean>;
  /**
   * Rewrites the answer a touchpoint's locator keeps for its Idempotency-Key, and nothing else of
   * it (a move may be re-pointing the locator at the same time): false when it is gone.
   */
  rewriteLocatorAnswer(touchpointId: string, result: StoredAttributes): Promise<boolean>;
  /**
   * Rewrites attributes of another customer's profile (its card quoting a redacted touchpoint),
   * guarded by the card version read: false when a card write came first (read it again).
   */
  rewriteProfileAttributes(customerId: string, attributes: StoredAttributes, expectedVersion: number | undefined): Promise<boolean>;
  /**
   * Deletes the records, each once however often it is named, retrying throttled deletes: how many
   * that was. A customer's profile or card takes the other with it, atomically (two items).
   */
  deleteRecords(records: DeletedRecord[]): Promise<number>;
  /** The keyed hash a suppression of the identifier is kept (and lifted) under. */
  suppressionHash(identifier: Identifier): string;
  /** Refuses the identifier from now on, recording when and who asked. */
  suppress(identifier: Identifier, createdAt: string, createdBy: string): Promise<void>;
  /** The receipt of an erase, under each erased customer id's keyed hash (written again by a repeat). */
  putErasureReceipts(customerIds: readonly string[], receipt: ErasureReceipt): Promise<void>;
  /** The receipt of the erase that took this customer id, while it is kept. */
  readErasureReceipt(customerId: string): Promise<ErasureReceipt | undefined>;
  /** Idempotent: afterwards no suppression has this hash, whether or not one had. */
  deleteSuppression(hash: string): Promise<void>;
}
