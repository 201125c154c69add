import { createHash } from 'node:crypto';
import type { Identifier } from '../domain/identifiers.ts';

/**
 * Key shapes of the single table: the only place that knows them.
 *
 * Customer partition `CUST#<customerId>`:
 *   `T#<occurredAt>#<touchpointId>`  a touchpoint (the timeline sorts by time, then id)
 *   `Z#CARD`                         the customer's recognition card: counters, last contact, tier (written
 *                                    by every touchpoint, so kept apart from the identity it would bill for)
 *   `Z#PROFILE`                      the customer: identifiers with provenance, preferences, traits
 * `Z#CARD` and `Z#PROFILE` sort just after every `T#` key, so one descending Query from `Z#PROFILE`
 * returns the profile, the card, then the newest touchpoints: a lookup's second and last round trip.
 *
 * `IDENT#<type>#<value>` / `IDENT`  which customer an identifier belongs to
 * `TP#<touchpointId>` / `TP`        where a touchpoint lives (for moves and replays); with an
 *                                    Idempotency-Key, under the key's own id, also the key's record
 * `IDEMBATCH#<scope>#<key>` / `IDEMBATCH`  a batch's Idempotency-Key: the digest of the batch it was first sent with
 * `CAND#<customerId>#<customerId>` / `CAND`  two customers that claim one identifier (GSI1 lists them)
 * GSI1 `TIER#<tier>` / `<lastContactDay>#<customerId>`  a value tier's customers (on the card item); the
 *                                    day (YYYY-MM-DD, UTC) and not the instant, so only a customer's first
 *                                    card write of a day moves the entry; tables written before hold
 *                                    `<lastContactAt>#<customerId>` until the customer's next contact
 *
 * Identity graph (merges, moves):
 * `MERGE#<mergeId>` / `MERGE`        a merge of two customers: who, when, why, what moved; its undo
 * `CUST#<customerId>` / `M#<mergeId>`  pointer in each party's partition: the customer's merge/move audit trail
 * GSI1 `MERGES_IN_PROGRESS` / `<createdAt>#<mergeId>`  merges not finished yet (sparse: the keys go when one completes)
 *
 * Access and privacy:
 * `CUST#<customerId>` / `A#<at>#<entryId>`  read audit: who read the customer's data, when, how (TTL 400 days)
 * `APIKEY#<keyId>` / `APIKEY`        an API key: name, scopes, SHA-256 of the key, revocation
 * `APIKEYNAME#<name>` / `APIKEYNAME`  a key name's claim: one system per name (its keys share an idempotency scope)
 * `IDEMKEY#<scope>#<key>` / `IDEMKEY`  a key creation's Idempotency-Key: the request's digest and the key id it made
 * GSI1 `API_KEYS` / `<createdAt>#<keyId>`  every API key, oldest first (no Scan to list them)
 * `RATE#<subject>` / `W#<windowStart>`  a rate limit's count for one window (TTL: gone soon after it)
 * `SUPPRESS#<hmac>` / `SUPPRESS`     an erased customer's identifier, kept only as a keyed hash,
 *                                    so that new touchpoints carrying it are refused
 *
 * Cross-references (so that an erase finds what mentions a customer without a Scan; each lives in
 * the partition of the customer it is about, so erasing that customer finds it by one Query):
 * `CUST#<customerId>` / `I#<type>#<value>`  an identifier item may name this customer (written with the
 *                                    identifier's first claim: ingest attach, link, shared link)
 * `CUST#<customerId>` / `R#<touchpointId>`  another customer's touchpoint mentions this one (carried
 *                                    an identifier of it, or names it among ambiguous candidates)
 * `CUST#<customerId>` / `C#<otherCustomerId>`  a merge candidate pairs this customer with the other
 * `CUST#<customerId>` / `S#<mergeId>`  a merge between two other customers names this one as a holder
 *                                    of an identifier it shared with them (the record's identifier states)
 */
export type Key = { pk: string; sk: string };

const timelinePrefix = 'T#';
const profileSortKey = 'Z#PROFILE';
const cardSortKey = 'Z#CARD';
/** Sorts after every character of an ISO date and a ULID. */
const highSentinel = '~';

export const customerPartition = (customerId: string) => `CUST#${customerId}`;

export const profileKey = (customerId: string): Key => ({ pk: customerPartition(customerId), sk: profileSortKey });

export const cardKey = (customerId: string): Key => ({ pk: customerPartition(customerId), sk: cardSortKey });

export const touchpointKey = (customerId: string, occurredAt: string, touchpointId: string): Key => ({
  pk: customerPartition(customerId),
  sk: `${timelinePrefix}${occurredAt}#${touchpointId}`,
});

export const identifierItemKey = (identifier: Identifier): Key => ({
  pk: `IDENT#${identifier.type}#${identifier.value}`,
  sk: 'IDENT',
});

export const touchpointLocatorKey = (touchpointId: string): Key => ({ pk: `TP#${touchpointId}`, sk: 'TP' });

export const batchIdempotencyKey = (scope: string, key: string): Key => ({
  // The scope is free text: encoding it keeps `#` inside it from blurring into the key.
  pk: `IDEMBATCH#${encodeURIComponent(scope)}#${key}`,
  sk: 'IDEMBATCH',
});

export const mergeCandidateKey = (customerIds: [string, string]): Key => {
  const [first, second] = [...customerIds].sort();
  return { pk: `CAND#${first}#${second}`, sk: 'CAND' };
};

export const mergeCandidatesIndexPartition = 'MERGE_CANDIDATES';

/** The UTC day of an ISO instant (`YYYY-MM-DD`); empty for none. */
const dayOf = (instant: string) => instant.slice(0, 'YYYY-MM-DD'.length);

/**
 * GSI1 keys of a card: customers of a value tier, by the day of their last contact, newest day
 * first. DynamoDB bills a changed index key as a delete and a put of the entry, and a key SET to
 * the value it has as nothing: by the day, a customer's second touchpoint of a day writes no index.
 */
export const tierIndexKeys = (tier: string, lastContactAt: string, customerId: string) => ({
  gsi1pk: `TIER#${tier}`,
  gsi1sk: `${dayOf(lastContactAt)}#${customerId}`,
});

/**
 * Sort-key bounds of the tier index entries whose last contact may lie in `[from, to)`: whole days,
 * so a caller keeps only the customers whose card says so. Entries of either form (the day, or the
 * instant of tables written before) fall inside the bounds of their day.
 */
export const tierIndexRange = (from: string, to: string): { lower: string; upper: string } => ({
  lower: dayOf(from),
  upper: `${dayOf(to)}${highSentinel}`,
});

/** Sort-key bounds of the timeline, optionally narrowed to a time window (both ends inclusive). */
export function timelineRange(window: { from?: string; to?: string }): { lower: string; upper: string } {
  return {
    lower: `${timelinePrefix}${window.from ?? ''}`,
    upper: window.to === undefined ? `${timelinePrefix}${highSentinel}` : `${timelinePrefix}${window.to}#${highSentinel}`,
  };
}

/** The range a customer view reads: every touchpoint and, above them, the card and the profile. */
export const customerViewRange = { lower: timelinePrefix, upper: profileSortKey };

export const isTimelineSortKey = (sk: string) => sk.startsWith(timelinePrefix);

export const mergeRecordKey = (mergeId: string): Key => ({ pk: `MERGE#${mergeId}`, sk: 'MERGE' });

export const unfinishedMergesIndexPartition = 'MERGES_IN_PROGRESS';

/** GSI1 keys of a merge record while it is in progress, oldest first. */
export const unfinishedMergeIndexKeys = (createdAt: string, mergeId: string) => ({
  gsi1pk: unfinishedMergesIndexPartition,
  gsi1sk: `${createdAt}#${mergeId}`,
});

const mergeAuditPrefix = 'M#';

export const mergeAuditKey = (customerId: string, mergeId: string): Key => ({
  pk: customerPartition(customerId),
  sk: `${mergeAuditPrefix}${mergeId}`,
});

/** Sort-key bounds of a customer's merge/move pointers. */
export const mergeAuditRange = { lower: mergeAuditPrefix, upper: `${mergeAuditPrefix}${highSentinel}` };

const accessLogPrefix = 'A#';

/** A read-audit entry: in the customer's partition, so an erase removes it with everything else. */
export const accessLogKey = (customerId: string, at: string, entryId: string): Key => ({
  pk: customerPartition(customerId),
  sk: `${accessLogPrefix}${at}#${entryId}`,
});

/** Sort-key bounds of a customer's read audit (every entry). */
export const accessLogRange = { lower: accessLogPrefix, upper: `${accessLogPrefix}${highSentinel}` };

export const isAccessLogSortKey = (sk: string) => sk.startsWith(accessLogPrefix);

/** The customer a partition key belongs to, or undefined for any other partition. */
export function customerIdOfPartition(pk: unknown): string | undefined {
  if (typeof pk !== 'string') return undefined;
  return /^CUST#(cus_[0-9A-HJKMNP-TV-Z]{26})$/.exec(pk)?.[1];
}

/** The customers an item read back is about: its own customer's partition, or the pair a merge candidate names. */
export function customerIdsOfItemPartition(pk: unknown): string[] {
  const own = customerIdOfPartition(pk);
  if (own) return [own];
  if (typeof pk !== 'string') return [];
  const pair = /^CAND#(cus_[0-9A-HJKMNP-TV-Z]{26})#(cus_[0-9A-HJKMNP-TV-Z]{26})$/.exec(pk);
  return pair ? [pair[1] as string, pair[2] as string] : [];
}

export const apiKeyKey = (keyId: string): Key => ({ pk: `APIKEY#${keyId}`, sk: 'APIKEY' });

export const apiKeysIndexPartition = 'API_KEYS';

export const apiKeyNameKey = (name: string): Key => ({ pk: `APIKEYNAME#${encodeURIComponent(name)}`, sk: 'APIKEYNAME' });

/** The scope (an admin credential's id, `jwt:<sub>` for a token) is hashed: a subject can be long enough to break the key's 2 KB limit. */
export const keyCreationIdempotencyKey = (scope: string, key: string): Key => ({
  pk: `IDEMKEY#${createHash('sha256').update(scope, 'utf8').digest('base64url')}#${key}`,
  sk: 'IDEMKEY',
});

/** GSI1 keys of an API key: listed oldest first. */
export const apiKeyIndexKeys = (createdAt: string, keyId: string) => ({
  gsi1pk: apiKeysIndexPartition,
  gsi1sk: `${createdAt}#${keyId}`,
});

/** The subject is a key id or a hash of an anonymous id, never an identifier in clear. */
export const rateWindowKey = (subject: string, windowStart: number): Key => ({ pk: `RATE#${subject}`, sk: `W#${windowStart}` });

export const suppressionKey = (hash: string): Key => ({ pk: `SUPPRESS#${hash}`, sk: 'SUPPRESS' });
/** An erase's receipt, by the keyed hash of an erased customer id (never the id itself). */
export const erasureReceiptKey = (hash: string): Key => ({ pk: `ERASED#${hash}`, sk: 'ERASED' });

const identifierClaimPrefix = 'I#';
/** The sort keys of a customer's mentions begin so: a Query lists them. */
export const mentionPrefix = 'R#';
/** The sort keys of a customer's merge candidate halves begin so. */
export const candidateHalfPrefix = 'C#';
const mergeSharerPrefix = 'S#';

/** An identifier item may name this customer: where an erase looks even when the profile lost it. */
export const identifierClaimKey = (customerId: string, identifier: Identifier): Key => ({
  pk: customerPartition(customerId),
  sk: `${identifierClaimPrefix}${identifier.type}#${identifier.value}`,
});

/** Another customer's touchpoint mentions this customer (holds only the touchpoint id: no other customer's id). */
export const mentionKey = (customerId: string, touchpointId: string): Key => ({
  pk: customerPartition(customerId),
  sk: `${mentionPrefix}${touchpointId}`,
});

/** One half of a merge candidate, in each customer's partition, naming the other. */
export const candidateHalfKey = (customerId: string, otherCustomerId: string): Key => ({
  pk: customerPartition(customerId),
  sk: `${candidateHalfPrefix}${otherCustomerId}`,
});

/** A merge between two other customers names this one in its identifier states (it shared one of the identifiers moved). */
export const mergeSharerKey = (customerId: string, mergeId: string): Key => ({
  pk: customerPartition(customerId),
  sk: `${mergeSharerPrefix}${mergeId}`,
});

export type PartitionItemKind =
  | 'profile'
  | 'card'
  | 'touchpoint'
  | 'accessLog'
  | 'mergeAudit'
  | 'identifierClaim'
  | 'mention'
  | 'candidateHalf'
  | 'mergeSharer'
  | 'other';

/** What an item of a customer's partition is, by its sort key (erase and export read every kind). */
export function partitionItemKind(sk: string): PartitionItemKind {
  if (sk === profileSortKey) return 'profile';
  if (sk === cardSortKey) return 'card';
  if (sk.startsWith(timelinePrefix)) return 'touchpoint';
  if (sk.startsWith(accessLogPrefix)) return 'accessLog';
  if (sk.startsWith(mergeAuditPrefix)) return 'mergeAudit';
  if (sk.startsWith(identifierClaimPrefix)) return 'identifierClaim';
  if (sk.startsWith(mentionPrefix)) return 'mention';
  if (sk.startsWith(candidateHalfPrefix)) return 'candidateHalf';
  if (sk.startsWith(mergeSharerPrefix)) return 'mergeSharer';
  return 'other';
}

export const mergeIdOfAuditSortKey = (sk: string) => sk.slice(mergeAuditPrefix.length);
export const touchpointIdOfMentionSortKey = (sk: string) => sk.slice(mentionPrefix.length);
export const customerIdOfCandidateHalfSortKey = (sk: string) => sk.slice(candidateHalfPrefix.length);
export const mergeIdOfSharerSortKey = (sk: string) => sk.slice(mergeSharerPrefix.length);

/** Sorts after every sort key of a customer's partition: a descending read from here starts at its newest item. */
export const partitionEndSortKey = highSentinel;

/**
 * `VERSION#<source>#<upstreamId>` / `VERSION`: the newest version of an upstream record (an Amazon
 * Connect contact) that its touchpoint shows, and which touchpoint that is.
 */
export const touchpointVersionKey = (source: string, upstreamId: string): Key => ({
  pk: `VERSION#${encodeURIComponent(source)}#${upstreamId}`,
  sk: 'VERSION',
});
