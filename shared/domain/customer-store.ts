import type { CardDelta, CardState } from './card.ts';
import type { Identifier } from './identifiers.ts';
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
  result: Omit<IngestResult, 'replayed'>;
}

export interface IngestReadRequest {
  identifiers: Identifier[];
  /** A customer named directly by id. */
  customerId?: string;
  idempotency?: IdempotencyRef;
}

export interface IngestReadResult {
  /** The owner of each identifier that has one, by `identifierKey`. */
  owners: Map<string, string>;
  /** Whether the customer named by id exists (undefined when none was named). */
  directCustomerExists?: boolean;
  idempotency?: IdempotencyRecord;
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
  customer:
    | { kind: 'new'; createdAt: string; card: CardState }
    /** A blind, guarded update of the card: no read needed; the guards fail if the blind update would be wrong. */
    | { kind: 'fast'; delta: CardDelta; invoiceQueryExpectedNew: boolean }
    /** The card computed from its current state, written only if nobody changed it meanwhile. */
    | { kind: 'exact'; card: CardState; expectedVersion: number };
  attach: AttachedIdentifier[];
  mergeCandidates: MergeCandidateNote[];
  idempotency?: IdempotencyRef & IdempotencyRecord;
  /** What the customer told us, recorded together with the touchpoint that says so. */
  profileChanges?: { preferences: ContactPreferences; identifierPermissions: Record<string, IdentifierPermissions> };
}

export interface ProfileChanges {
  /** null clears the display name. */
  displayName?: string | null;
  /** A null value removes the trait. */
  traits?: Record<string, unknown>;
}

export interface CustomerPage {
  items: Customer[];
  nextCursor: string | null;
}

export interface CustomerView {
  customer: Customer;
  /** Newest first. */
  recent: Touchpoint[];
}

/**
 * What the domain needs from storage. Every method is one DynamoDB round trip unless it says
 * otherwise; `recordTouchpoint` is all-or-nothing and raises `WriteRejectedError` when the world
 * changed since the read, `StoreUnavailableError` when DynamoDB could not answer.
 */
export interface CustomerStore {
  readForIngest(request: IngestReadRequest): Promise<IngestReadResult>;
  readIdempotencyRecord(ref: IdempotencyRef): Promise<IdempotencyRecord | undefined>;
  recordTouchpoint(write: TouchpointWrite): Promise<void>;
  /** The card of a live customer (undefined when unknown or merged away). */
  readCard(customerId: string): Promise<CardState | undefined>;
  findCustomerIdByIdentifier(identifier: Identifier): Promise<string | undefined>;
  /** The updated customer, or undefined when there is no live customer with this id. */
  updateProfile(customerId: string, changes: ProfileChanges): Promise<Customer | undefined>;
  /** A value tier's customers, most recently in contact first, from the tier index (no scan). */
  listCustomersByTier(tier: string, page: { limit: number; cursor?: string }): Promise<CustomerPage>;
  getCustomerView(customerId: string, recentCount: number): Promise<CustomerView | undefined>;
  /** One Query per page; a second call only to tell an unknown customer from an empty page. */
  getTimelinePage(customerId: string, query: TimelineQuery): Promise<TimelinePage | undefined>;
}
