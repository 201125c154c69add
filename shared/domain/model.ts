import type { Channel } from './channels.ts';
import type { CardState } from './card.ts';
import type { Identifier, IdentifierType, NamedIdentifiers } from './identifiers.ts';

export interface Touchpoint {
  touchpointId: string;
  customerId: string;
  channel: Channel;
  /** UTC ISO 8601 with milliseconds: sorts as it reads. */
  occurredAt: string;
  receivedAt: string;
  source: string;
  identifiers: NamedIdentifiers;
  summary: string | null;
  details: Record<string, unknown>;
  /** Monetary value the touchpoint brought, in the reporting currency (feeds the value tier). */
  value?: number;
  /** Set when only shared identifiers matched: recorded on the most recent candidate; staff may move it. */
  ambiguity?: { otherCandidates: string[]; sharedIdentifiers: Identifier[] };
}

/** Why an identifier belongs to a customer: which touchpoint, system and rule attached it, and when. */
export interface IdentifierProvenance {
  attachedAt: string;
  source: string;
  touchpointId?: string;
  rule: 'first-contact' | 'seen-with-known-identifier' | 'linked-by-staff' | 'merged';
  /** For `merged`: the merge that brought it, and when. */
  mergeId?: string;
  mergedAt?: string;
}

export interface AttachedIdentifier extends Identifier {
  provenance: IdentifierProvenance;
  /** Linked to more than one customer (a household landline): it proves nothing alone. */
  shared?: boolean;
}

export type Permission = 'opted_in' | 'opted_out';
export type ContactChannel = 'phone' | 'email' | 'sms' | 'mail';

/** What the customer told us about being contacted: the 'learning relationship'. */
export interface ContactPreferences {
  channels: Partial<Record<ContactChannel, Permission>>;
  preferredChannel: ContactChannel | null;
  quietHours: { start: string; end: string; timeZone: string } | null;
  updatedAt: string;
}

/** Permissions given for one phone number or email address, e.g. "this mobile opted out of SMS". */
export interface IdentifierPermissions {
  channels: Partial<Record<ContactChannel, Permission>>;
  /** False when the address may not receive marketing (a work address, say). */
  marketing: Permission | null;
}

export interface Customer {
  customerId: string;
  createdAt: string;
  updatedAt: string;
  identifiers: AttachedIdentifier[];
  card: CardState;
  displayName: string | null;
  traits: Record<string, unknown>;
  preferences: ContactPreferences | null;
  /** By `identifierKey`. */
  identifierPermissions: Record<string, IdentifierPermissions>;
}

export interface IngestResult {
  touchpointId: string;
  customerId: string;
  customerCreated: boolean;
  replayed: boolean;
  /** Anonymous profiles merged into the customer because this touchpoint tied them together. */
  merges?: Array<{ mergeId: string; sourceCustomerId: string }>;
  /**
   * The types of the touchpoint's new identifiers left off the customer because it holds the most
   * identifiers it can (bounds.ts): recorded, but they will not find the customer later. Types,
   * not values: one of each type per touchpoint, and the result is kept for replays.
   */
  identifiersNotAttached?: IdentifierType[];
}

export interface TimelineQuery {
  channels?: Channel[];
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface TimelinePage {
  items: Touchpoint[];
  nextCursor: string | null;
}
