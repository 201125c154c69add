import { type TierName, type ValueTierConfig, valueTierConfig } from './value-tiers.ts';
import { type Channel, channels } from './channels.ts';
import { BoundReachedError } from './errors.ts';

/**
 * The recognition card: what an agent needs at a glance, kept in a small item beside the profile
 * and updated by every touchpoint write, so that reading it costs a lookup nothing extra. The pages
 * a visitor saw are not on it: they are in the recent history a lookup reads anyway (card-view.ts),
 * and keeping them here made every touchpoint rewrite two thirds more bytes.
 */

/**
 * A touchpoint whose `occurredAt` is this much older than its arrival is probably a late arrival
 * (a nightly batch, a backfill): the fast path appends it to `lateContacts` instead of setting the
 * last contact (whose guard would fail for every real late arrival), and readers take the newest of
 * both. Fresher ones (a call posted when it ends) set the last contact under a guard. The tier
 * index orders by the guarded last contact until the next exact write folds the late ones in.
 */
export const lateArrivalThresholdMs = 6 * 60 * 60 * 1000;
/** Late contacts kept before a write folds them into the last contact (one extra write in this many late arrivals). */
export const lateContactCap = 10;
/** Resolved invoice queries are kept this long (so a late 'open' cannot reopen them), then dropped. */
export const resolvedQueryRetentionDays = 90;
/**
 * Invoice queries kept on one card, open and recently resolved (each up to about 2.6 KB: the
 * profile item must stay under DynamoDB's 400 KB whatever clients send). A new query past it first
 * drops the oldest resolved ones; when all are open it is refused (422): resolve some first.
 */
export const maxInvoiceQueries = 40;
/** Headroom when a score is already at its top: no touchpoint can move it. */
const unlimited = 1e15;

export interface LastContact {
  touchpointId: string;
  channel: Channel;
  occurredAt: string;
  summary: string | null;
}

/** The facts of a touchpoint that the card counts (a `Touchpoint` has them all). */
export interface CountedTouchpoint extends LastContact {
  details: Record<string, unknown>;
  value?: number;
}

export type InvoiceQueryStatus = 'open' | 'in_progress' | 'resolved';

export interface InvoiceQueryState {
  invoiceNumber: string;
  queryId: string | null;
  status: InvoiceQueryStatus;
  reason: string | null;
  amount: { value: number; currency: string } | null;
  openedAt: string;
  /** `occurredAt` of the latest status seen: an older status arriving late does not overwrite it. */
  updatedAt: string;
  resolvedAt: string | null;
}

export interface CardState {
  /** Bumped by every write: the optimistic lock of the exact (read-modify-write) path. */
  version: number;
  touchpointCount: number;
  countsByChannel: Record<Channel, number>;
  lastContact: LastContact | null;
  /** Possibly-late contacts appended by the fast path; the effective last contact is the newest of these and `lastContact`. */
  lateContacts: LastContact[];
  monetaryTotal: number;
  invoiceQueries: Record<string, InvoiceQueryState>;
  /** The tier as of the last write; the card recomputes recency when read. */
  tier: TierName;
  /** The recency score the stored tier was computed with. */
  tierRecency: number;
  /**
   * The tier with the top recency score and the current frequency and monetary scores: what any
   * recent touchpoint within the headrooms below leaves the customer in, so the fast path sets it
   * blindly, for a customer back after months as for one seen yesterday.
   */
  tierWhenRecent: TierName;
  /**
   * Touchpoints that can still be added, with no change to the monetary score, before the tier
   * when recent may change (the frequency score may rise within it, where the tier has room).
   */
  frequencyHeadroom: number;
  /** Value that can still be added before the monetary score changes (and with it, perhaps, the tier). */
  monetaryHeadroom: number;
}

/** What one touchpoint changes on a card, independent of the card's current state. */
export interface CardDelta {
  channel: Channel;
  lastContact: LastContact;
  /** The touchpoint's own `value`. */
  value: number;
  invoiceQuery?: { key: string; state: InvoiceQueryState };
}

export function emptyCard(): CardState {
  return {
    version: 0,
    touchpointCount: 0,
    countsByChannel: Object.fromEntries(channels.map((channel) => [channel, 0])) as Record<Channel, number>,
    lastContact: null,
    lateContacts: [],
    monetaryTotal: 0,
    invoiceQueries: {},
    ...tierFields(0, 0),
  };
}

export function cardDelta(touchpoint: CountedTouchpoint): CardDelta {
  const delta: CardDelta = {
    channel: touchpoint.channel,
    lastContact: {
      touchpointId: touchpoint.touchpointId,
      channel: touchpoint.channel,
      occurredAt: touchpoint.occurredAt,
      summary: touchpoint.summary,
    },
    value: touchpoint.value ?? 0,
  };
  const details = touchpoint.details;
  if (touchpoint.channel === 'invoice_query') {
    const queryId = typeof details.queryId === 'string' ? details.queryId : null;
    const invoiceNumber = String(details.invoiceNumber);
    const status = details.status as InvoiceQueryStatus;
    delta.invoiceQuery = {
      key: invoiceQueryKey({ queryId, invoiceNumber }),
      state: {
        invoiceNumber,
        queryId,
        status,
        reason: typeof details.reason === 'string' ? details.reason : null,
        amount: (details.amount as InvoiceQueryState['amount'] | undefined) ?? null,
        openedAt: touchpoint.occurredAt,
        updatedAt: touchpoint.occurredAt,
        resolvedAt: status === 'resolved' ? touchpoint.occurredAt : null,
      },
    };
  }
  return delta;
}

/**
 * Where an invoice query lives on the card: under its query id, or its invoice number when it has
 * none, each in a namespace of its own. The key is client text made into a map key (a DynamoDB map
 * attribute, a JavaScript property): the prefix keeps it from ever being `__proto__`, `constructor`
 * or any other name an object already answers to, which the SDK's unmarshalling would turn into a
 * prototype instead of an entry.
 */
export function invoiceQueryKey(query: { queryId: string | null; invoiceNumber: string }): string {
  return query.queryId === null ? `invoice#${query.invoiceNumber}` : `query#${query.queryId}`;
}

/** The monetary value a delta adds: its own value, plus the amount of an invoice query seen for the first time. */
export function monetaryIncrease(delta: CardDelta, invoiceQueryIsNew: boolean): number {
  const invoiceAmount = invoiceQueryIsNew ? (delta.invoiceQuery?.state.amount?.value ?? 0) : 0;
  return delta.value + invoiceAmount;
}

/** The exact card after a touchpoint, from the current card: used for new customers and whenever the fast path's guards fail. */
export function applyDelta(card: CardState, delta: CardDelta, now: Date, config: ValueTierConfig = valueTierConfig): CardState {
  const invoiceQueries = { ...card.invoiceQueries };
  let invoiceQueryIsNew = false;
  if (delta.invoiceQuery) {
    const { key, state } = delta.invoiceQuery;
    const existing = invoiceQueries[key];
    invoiceQueryIsNew = existing === undefined;
    invoiceQueries[key] = existing ? mergeInvoiceQuery(existing, state) : state;
  }
  pruneResolvedQueries(invoiceQueries, now);
  if (invoiceQueryIsNew) keepWithinQueryBound(invoiceQueries);

  const lastContact = newestContact([card.lastContact, ...card.lateContacts, delta.lastContact]) as LastContact;
  const touchpointCount = card.touchpointCount + 1;
  const monetaryTotal = card.monetaryTotal + monetaryIncrease(delta, invoiceQueryIsNew);
  return {
    version: card.version + 1,
    touchpointCount,
    countsByChannel: { ...card.countsByChannel, [delta.channel]: (card.countsByChannel[delta.channel] ?? 0) + 1 },
    lastContact,
    lateContacts: [],
    monetaryTotal,
    invoiceQueries,
    ...tierFields(touchpointCount, monetaryTotal, lastContact?.occurredAt, now, config),
  };
}

function mergeInvoiceQuery(existing: InvoiceQueryState, incoming: InvoiceQueryState): InvoiceQueryState {
  const openedAt = incoming.openedAt < existing.openedAt ? incoming.openedAt : existing.openedAt;
  if (incoming.updatedAt < existing.updatedAt) return { ...existing, openedAt };
  return {
    ...incoming,
    openedAt,
    amount: incoming.amount ?? existing.amount,
    reason: incoming.reason ?? existing.reason,
    resolvedAt: incoming.status === 'resolved' ? incoming.updatedAt : null,
  };
}

function pruneResolvedQueries(queries: Record<string, InvoiceQueryState>, now: Date): void {
  const cutoff = new Date(now.getTime() - resolvedQueryRetentionDays * 86_400_000).toISOString();
  for (const [key, query] of Object.entries(queries)) {
    if (query.resolvedAt !== null && query.resolvedAt < cutoff) delete queries[key];
  }
}

/** A new invoice query on a customer whose kept queries are all open (422). */
export class InvoiceQueriesFullError extends BoundReachedError {
  constructor() {
    super([{ path: 'details.queryId', message: `the customer already has ${maxInvoiceQueries} open invoice queries; resolve one before opening another` }]);
  }
}

/** Makes room for a new query by dropping the oldest resolved ones; refuses it when every kept query is open. */
function keepWithinQueryBound(queries: Record<string, InvoiceQueryState>): void {
  const resolved = Object.entries(queries)
    .filter(([, query]) => query.resolvedAt !== null)
    .sort(([, a], [, b]) => ((a.resolvedAt as string) < (b.resolvedAt as string) ? -1 : 1));
  while (Object.keys(queries).length > maxInvoiceQueries) {
    const oldest = resolved.shift();
    if (!oldest) throw new InvoiceQueriesFullError();
    delete queries[oldest[0]];
  }
}

export function newestContact(contacts: Array<LastContact | null | undefined>): LastContact | null {
  return contacts.reduce<LastContact | null>((newest, contact) => (contact && (!newest || contact.occurredAt > newest.occurredAt) ? contact : newest), null);
}

/** Whether the fast path should treat a touchpoint as possibly late (see `lateArrivalThresholdMs`). */
export function looksLate(delta: CardDelta, receivedAt: Date): boolean {
  return receivedAt.getTime() - Date.parse(delta.lastContact.occurredAt) > lateArrivalThresholdMs;
}

export interface TierScores {
  recency: number;
  frequency: number;
  monetary: number;
}

/** Scores and tier of a customer at a moment: recency counts from `lastContactAt` to `at`. */
export function valueTier(
  facts: { touchpointCount: number; monetaryTotal: number; lastContactAt?: string | undefined },
  at: Date,
  config: ValueTierConfig = valueTierConfig,
): { tier: TierName; scores: TierScores } {
  const daysSince = facts.lastContactAt === undefined ? Number.POSITIVE_INFINITY : (at.getTime() - Date.parse(facts.lastContactAt)) / 86_400_000;
  const recencyIndex = config.recencyDays.findIndex((days) => daysSince <= days);
  const scores: TierScores = {
    recency: recencyIndex === -1 ? 0 : config.recencyDays.length - recencyIndex,
    frequency: config.frequencyTouchpoints.filter((threshold) => facts.touchpointCount >= threshold).length,
    monetary: config.monetaryValue.filter((threshold) => facts.monetaryTotal >= threshold).length,
  };
  const total = scores.recency + scores.frequency + scores.monetary;
  const tier = config.tiers.find((candidate) => total >= candidate.minScore) ?? config.tiers[config.tiers.length - 1];
  return { tier: (tier as { name: TierName }).name, scores };
}

function tierFields(
  touchpointCount: number,
  monetaryTotal: number,
  lastContactAt?: string,
  now: Date = new Date(),
  config: ValueTierConfig = valueTierConfig,
): Pick<CardState, 'tier' | 'tierRecency' | 'tierWhenRecent' | 'frequencyHeadroom' | 'monetaryHeadroom'> {
  const { tier, scores } = valueTier({ touchpointCount, monetaryTotal, lastContactAt }, now, config);
  const whenRecent = valueTier({ touchpointCount, monetaryTotal, lastContactAt: now.toISOString() }, now, config);
  const total = whenRecent.scores.recency + whenRecent.scores.frequency + whenRecent.scores.monetary;
  const nextTierScore = Math.min(...config.tiers.map((candidate) => candidate.minScore).filter((minScore) => minScore > total));
  // The score points the frequency may gain and leave the tier as it is; all of them go to the
  // frequency (every touchpoint counts, few carry value), none to the monetary score.
  const room = nextTierScore - total - 1;
  // The count at which the frequency score has risen by one more than the room (a threshold past the last: never).
  const nextFrequency = Number.isFinite(room) ? config.frequencyTouchpoints[whenRecent.scores.frequency + room] : undefined;
  const nextMonetary = Number.isFinite(room) ? config.monetaryValue[whenRecent.scores.monetary] : undefined;
  return {
    tier,
    tierRecency: scores.recency,
    tierWhenRecent: whenRecent.tier,
    frequencyHeadroom: nextFrequency === undefined ? unlimited : nextFrequency - touchpointCount,
    monetaryHeadroom: nextMonetary === undefined ? unlimited : nextMonetary - monetaryTotal,
  };
}

/**
 * Whether a touchpoint may take the fast path (a blind, guarded update): only when it is recent
 * enough that the customer's recency score after it is the top score, as the stored tier assumes.
 */
export function fastPathEligible(delta: CardDelta, now: Date, config: ValueTierConfig = valueTierConfig): boolean {
  return (
    valueTier({ touchpointCount: 0, monetaryTotal: 0, lastContactAt: delta.lastContact.occurredAt }, now, config).scores.recency === topRecencyScore(config)
  );
}

export function topRecencyScore(config: ValueTierConfig = valueTierConfig): number {
  return config.recencyDays.length;
}
