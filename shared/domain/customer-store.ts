import type { TierName } from './value-tiers.ts';
import type { CardDelta, CardState } from './card.ts';
import type { Identifier } from './identifiers.ts';
import type { IdentifierOwner, IdentityStore } from './identity-store.ts';
import type {
  AttachedIdentifier,
  ContactPreferences,
  Customer,
  IdentifierPermissions,
  IngestResult,
  TimelinePage,
  TimelineQuery,
  Touchpoint,
} from './model.ts';

/** An idempotency key, scoped to the system that posts with it. */
export interface IdempotencyRef {
  scope: string;
  key: string;
}

export interface IdempotencyRecord {
  requestFingerprint: string;
  /** The request that stored it (absent on a discarded touchpoint's receipt): its own retries are not replays. */
  requestId?: string;
  /** What the first request answered; a preferences change keeps what it recorded too, to answer a retry the same. */
  result: Omit<IngestResult, 'replayed'> & { preferences?: ContactPreferences; changes?: string[] };
}

export interface IngestReadRequest {
  identifiers: Identifier[];
  /** A customer named directly by id. */
  customerId?: string;
  /** Read as the locator of the touchpoint the key stands for (`touchpointIdFor`), which carries the record. */
  idempotency?: IdempotencyRef;
  /** The keys of a sender's other touchpoints read with it (a batch's lane): which were used is `keysUsed`. */
  moreIdempotency?: IdempotencyRef[];
}

export interface IngestReadResult {
  /** The owner of each identifier that has one, by `identifierKey`. */
  owners: Map<string, IdentifierOwner>;
  /** The customer named by id, if one was named and exists. */
  directCustomer?: { mergedInto: string | null };
  idempotency?: IdempotencyRecord;
  /** Of `moreIdempotency`, the keys a touchpoint (or a discarded one's receipt) was stored under already. */
  keysUsed?: IdempotencyRef[];
}

export interface MergeCandidateNote {
  /** The customer the touchpoint was recorded on. */
  customerId: string;
  /** The other customer that claims some of the touchpoint's identifiers. */
  otherCustomerId: string;
  identifiers: Identifier[];
  touchpointId: string;
  detectedAt: string;
}

export interface TouchpointWrite {
  touchpoint: Touchpoint;
  /**
   * The identifier that decided the customer and who held it when it was read: the write fails if
   * it changed hands meanwhile. The holder may be a customer merged into the touchpoint's own
   * while that merge is still moving its identifiers.
   */
  decidedBy?: { identifier: Identifier; customerId: string };
  /**
   * The customer the touchpoint names, merged away when it was read, and its survivor: the write
   * lands on the survivor only while that merge stands. An undo revives the source before it takes
   * back its touchpoints, so one landing after the revival would stay on the survivor.
   */
  redirectedFrom?: { customerId: string; mergedInto: string };
  customer:
    | { kind: 'new'; createdAt: string; card: CardState }
    /** A blind, guarded update of the card: no read needed; the guards fail if the blind update would be wrong. */
    | {
        kind: 'fast';
        delta: CardDelta;
        invoiceQueryExpectedNew: boolean;
        /**
         * Appended as a late contact (no guard on the last contact): a touchpoint a newer one
         * overtook, by milliseconds in a burst of concurrent ones, as well as by hours.
         */
        asLate?: boolean;
      }
    /** The card computed from its current state, written only if nobody changed it meanwhile. */
    | { kind: 'exact'; card: CardState; expectedVersion: number };
  attach: AttachedIdentifier[];
  /**
   * Attached identifiers whose item still names a customer that no longer exists (erased): taken
   * over from that customer, the write guarded on it still naming it and on its profile being gone.
   */
  reclaimed?: Array<{ identifier: Identifier; from: string }>;
  mergeCandidates: MergeCandidateNote[];
  /**
   * Anonymous profiles to be merged into the customer once the touchpoint is stored. Until then it
   * names them or carries their identifiers, so each gets a mention, written only while it is a
   * customer not under erasure (an erase that wins the race finds the touchpoint by it).
   */
  joining?: string[];
  /** Kept on the touchpoint's locator: the touchpoint id is the key's own (`touchpointIdFor`), so the locator guards exactly once. */
  idempotency?: IdempotencyRef & IdempotencyRecord & { requestId: string };
  /** What the customer told us, recorded together with the touchpoint that says so. */
  profileChanges?: { preferences: ContactPreferences; identifierPermissions: Record<string, IdentifierPermissions> };
}

/** The card write of a sender's touchpoints recorded at once (`recordTouchpoints`). */
export type LaneCardWrite =
  /** Every touchpoint's delta in one blind, guarded update (no invoice queries: each guards its own query). */
  | { kind: 'fast'; deltas: CardDelta[] }
  /** The card computed from its current state with every delta applied, written only if nobody changed it meanwhile. */
  | { kind: 'exact'; card: CardState; expectedVersion: number };

/**
 * Touchpoints of one known customer, recorded in one transaction with one card write: the plain
 * case of a batch's lane (no identifier to attach, no merge candidate, no cross-reference).
 */
export interface LaneWrite {
  customerId: string;
  receivedAt: string;
  card: LaneCardWrite;
  /** As `TouchpointWrite.decidedBy`: the identifier that recognised the customer, checked once for all. */
  decidedBy?: { identifier: Identifier; customerId: string };
  touchpoints: Array<Pick<TouchpointWrite, 'touchpoint' | 'idempotency'>>;
}

export interface ProfileChanges {
  /** null clears the display name. */
  displayName?: string | null;
  /** A null value removes the trait. */
  traits?: Record<string, unknown>;
  /** Write only if the customer has at most this many traits now, so that the new names fit under the bound. */
  maxTraitsBefore?: number;
}

export interface TierPageRequest {
  limit: number;
  cursor?: string;
  lastContactBetween?: { from: string; to: string };
}

export interface CustomerPage {
  items: Customer[];
  nextCursor: string | null;
}

export interface TimelineRead extends TimelinePage {
  /** The live customer holding the timeline now: the one asked for, or the survivor of its merges; undefined when none exists. */
  holder: string | undefined;
}

export interface CustomerView {
  customer: Customer;
  /** Newest first. */
  recent: Touchpoint[];
  /** Set when this customer was merged into another (its survivor). */
  mergedInto?: string;
  /** Set when the customer asked for was merged into this one. */
  redirectedFrom?: string;
}

/**
 * What the domain needs from storage. Every method is one DynamoDB round trip unless it says
 * otherwise; `recordTouchpoint` is all-or-nothing and raises `WriteRejectedError` when the world
 * changed since the read, `StoreUnavailableError` when DynamoDB could not answer.
 */
export interface CustomerStore {
  readForIngest(request: IngestReadRequest): Promise<IngestReadResult>;
  recordTouchpoint(write: TouchpointWrite): Promise<void>;
  /**
   * A lane's touchpoints and their card in one transaction, all or nothing: `WriteRejectedError`
   * ('card-stale' with the card when only the card's guards failed), `StoreUnavailableError` as above.
   */
  recordTouchpoints(write: LaneWrite): Promise<void>;
  /**
   * Where a touchpoint is stored, from its locator (undefined when it is not stored), with the
   * idempotency record the locator carries when the touchpoint was posted with a key.
   */
  locateTouchpoint(touchpointId: string): Promise<{ customerId: string; idempotency?: IdempotencyRecord } | undefined>;
  /** The card of a live customer (undefined when unknown or merged away). */
  readCard(customerId: string): Promise<CardState | undefined>;
  /** The updated customer, or undefined when there is no live customer with this id or the trait count moved. */
  updateProfile(customerId: string, changes: ProfileChanges): Promise<Customer | undefined>;
  /**
   * A value tier's customers, the most recent day of last contact first (within a day, the newest
   * customer id first), from the tier index (no scan); `lastContactBetween` narrows it to customers
   * last in contact at `from` or later, before `to` (a page may then hold fewer than `limit`).
   */
  listCustomersByTier(tier: string, page: TierPageRequest): Promise<CustomerPage>;
  /**
   * Files a customer under the tier its card has now (the index keeps the tier of the last write).
   * False when the card changed since it was read (its writer recomputed the tier) or it was merged away.
   */
  storeTier(customerId: string, expectedVersion: number, tier: { tier: TierName; tierRecency: number }): Promise<boolean>;
  getCustomerView(customerId: string, recentCount: number): Promise<CustomerView | undefined>;
  /**
   * A page of a customer's timeline, whole even while a merge moves it to a survivor: one Query
   * and the profile's merge state (a GetItem) per partition the timeline spans, one of each unless
   * the customer was merged away.
   */
  getTimelinePage(customerId: string, query: TimelineQuery): Promise<TimelineRead>;
}

/** Everything the use cases need from storage. */
export type TouchpointStore = CustomerStore & IdentityStore;
