import type { Identifiers } from '../schemas/identifiers.ts';
import type { Channel } from '../schemas/touchpoint.ts';
import type { Identifier } from './identifiers.ts';

export interface Touchpoint {
  touchpointId: string;
  customerId: string;
  channel: Channel;
  /** UTC ISO 8601 with milliseconds: sorts as it reads. */
  occurredAt: string;
  receivedAt: string;
  source: string;
  identifiers: Identifiers;
  summary: string | null;
  details: Record<string, unknown>;
}

/** Why an identifier belongs to a customer: which touchpoint, system and rule attached it, and when. */
export interface IdentifierProvenance {
  attachedAt: string;
  source: string;
  touchpointId?: string;
  rule: 'first-contact' | 'seen-with-known-identifier';
}

export interface AttachedIdentifier extends Identifier {
  provenance: IdentifierProvenance;
}

export interface LastContact {
  touchpointId: string;
  channel: Channel;
  occurredAt: string;
  summary: string | null;
}

export interface CustomerSummary {
  touchpointCount: number;
  countsByChannel: Record<Channel, number>;
  lastContact: LastContact | null;
}

export interface Customer {
  customerId: string;
  createdAt: string;
  identifiers: AttachedIdentifier[];
  summary: CustomerSummary;
}

export interface IngestResult {
  touchpointId: string;
  customerId: string;
  customerCreated: boolean;
  replayed: boolean;
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
