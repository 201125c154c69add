import {
  type CardDelta,
  type CardState,
  emptyCard,
  invoiceQueryKey,
  lateContactCap,
  looksLate,
  maxInvoiceQueries,
  newestContact,
  topRecencyScore,
} from '../domain/card.ts';
import { maxIdentifiersPerCustomer } from '../domain/bounds.ts';
import { identifierKey } from '../domain/identifiers.ts';
import type { LaneCardWrite, ProfileChanges, TouchpointWrite } from '../domain/customer-store.ts';
import type { ProfileRecord, ProfileReplacement } from '../domain/identity-store.ts';
import type { AttachedIdentifier, Customer } from '../domain/model.ts';
import { channels } from '../domain/channels.ts';
import { type CardItem, cardEntity, type StoredCard } from './items/card.ts';
import { isInvoiceQuery, type ProfileItem, profileEntity } from './items/profile.ts';
import { cardKey, type Key, profileKey, tierIndexKeys } from './keys.ts';
import { type UpdateBuilder, type UpdateParts, updateExpression } from './update-expression.ts';

/**
 * A customer's two items: the profile (identity and what the customer told us) and the card (the
 * recognition card and the tier index keys). This module turns a card write into DynamoDB Puts
 * or Updates (with their guards) and reads the items back as one customer.
 */

type Item = Record<string, unknown>;

export { erasingProfileEntity } from './items/profile.ts';
export { erasingCardEntity } from './items/card.ts';

export type ItemUpdate = UpdateParts & { Key: Key; ConditionExpression: string };

/** A touchpoint's writes of its customer: the card's always, the profile's only when identity changes. */
export interface CustomerUpdates {
  card: ItemUpdate;
  profile?: ItemUpdate;
}

/** The Updates of a customer's items, the card's first. */
export const itemUpdates = (updates: CustomerUpdates): ItemUpdate[] => (updates.profile ? [updates.card, updates.profile] : [updates.card]);

/** Where the item is a customer's to write on: there, and not under erasure (an UpdateItem would create it otherwise). */
const liveEntity = (update: UpdateBuilder, entity: string) =>
  update.when('attribute_exists(pk)').when('#entity = :liveEntity', { ':liveEntity': entity }, { '#entity': 'entity' });

/** The card carries the guards of every card write: a live card of a customer not merged away. */
const liveCard = (update: UpdateBuilder) => liveEntity(update, cardEntity.name).when('attribute_not_exists(mergedInto)');

function itemUpdateOf(key: Key, update: UpdateBuilder): ItemUpdate {
  const parts = update.build();
  return { Key: key, ...parts, ConditionExpression: parts.ConditionExpression ?? '' };
}

const cardAttributes = [
  'version',
  'touchpointCount',
  'countsByChannel',
  'lastContact',
  'lateContacts',
  'monetaryTotal',
  'invoiceQueries',
  'tier',
  'tierRecency',
  'tierWhenRecent',
  'frequencyHeadroom',
  'monetaryHeadroom',
] as const satisfies readonly (keyof CardState & keyof StoredCard)[];

/** A new customer's profile and card (the card under its tier in the index). */
export function newCustomerItems(customerId: string, createdAt: string, card: CardState, attach: AttachedIdentifier[]): { profile: Item; card: Item } {
  return {
    profile: profileEntity.item(profileEntity.key(customerId), {
      customerId,
      createdAt,
      updatedAt: createdAt,
      identifiers: Object.fromEntries(attach.map((identifier) => [identifierKey(identifier), identifier])),
      traits: {},
      identifierPermissions: {},
    }),
    card: cardEntity.item(
      cardEntity.key(customerId),
      { customerId, updatedAt: createdAt, ...card, gsi1pkWhenRecent: tierIndexKeys(card.tierWhenRecent, '', '').gsi1pk },
      tierIndexKeys(card.tier, card.lastContact?.occurredAt ?? createdAt, customerId),
    ),
  };
}

/**
 * An existing customer's card Update (fast or exact) for a touchpoint, and the profile's when the
 * touchpoint attaches identifiers or records what the customer told us.
 */
export function touchpointUpdates(customerId: string, write: TouchpointWrite & { customer: { kind: 'fast' | 'exact' } }): CustomerUpdates {
  const update = updateExpression().set('updatedAt', write.touchpoint.receivedAt);
  // A card under erasure, or of a customer merged away, is not a customer to record on.
  liveCard(update);
  const profile = identityUpdate(customerId, write);

  const { customer } = write;
  if (customer.kind === 'exact') {
    setWholeCard(update, customerId, customer.card, customer.expectedVersion);
    return { card: itemUpdateOf(cardKey(customerId), update), ...(profile ? { profile } : {}) };
  }
  const { delta } = customer;
  const invoiceAmount = customer.invoiceQueryExpectedNew ? (delta.invoiceQuery?.state.amount?.value ?? 0) : 0;
  fastCardUpdate(update, customerId, { deltas: [delta], receivedAt: write.touchpoint.receivedAt, asLate: customer.asLate === true }, invoiceAmount);
  if (delta.invoiceQuery) {
    const { key, state } = delta.invoiceQuery;
    const query = ['invoiceQueries', key];
    if (customer.invoiceQueryExpectedNew) {
      // At the bound the exact path decides (drop the oldest resolved query, or refuse).
      update
        .set(query, state)
        .when('attribute_not_exists(invoiceQueries.#query)', {}, { '#query': key })
        .when('size(invoiceQueries) < :queryCap', { ':queryCap': maxInvoiceQueries });
    } else {
      // A status change keeps what the query already knows (opened when, amount, reason) unless it says anew.
      update
        .set([...query, 'status'], state.status)
        .set([...query, 'updatedAt'], delta.lastContact.occurredAt)
        .set([...query, 'resolvedAt'], state.resolvedAt);
      if (state.amount) update.set([...query, 'amount'], state.amount);
      if (state.reason) update.set([...query, 'reason'], state.reason);
      update.when('invoiceQueries.#query.updatedAt <= :occurredAt', { ':occurredAt': delta.lastContact.occurredAt }, { '#query': key });
    }
  }
  return { card: itemUpdateOf(cardKey(customerId), update), ...(profile ? { profile } : {}) };
}

/** The profile's part of a touchpoint: identifiers it attaches and what the customer told us; none when it has neither. */
function identityUpdate(customerId: string, write: TouchpointWrite): ItemUpdate | undefined {
  if (write.attach.length === 0 && !write.profileChanges) return undefined;
  const update = updateExpression().set('updatedAt', write.touchpoint.receivedAt);
  liveEntity(update, profileEntity.name).when('attribute_not_exists(mergedInto)');
  if (write.attach.length > 0) {
    update.when('size(identifiers) <= :identifierRoom', { ':identifierRoom': maxIdentifiersPerCustomer - write.attach.length });
  }
  for (const identifier of write.attach) update.set(['identifiers', identifierKey(identifier)], identifier);
  if (write.profileChanges) {
    update.set('preferences', write.profileChanges.preferences);
    // PUT semantics: what the customer told us now replaces what they told us before, per identifier too.
    update.set('identifierPermissions', write.profileChanges.identifierPermissions);
  }
  return itemUpdateOf(profileKey(customerId), update);
}

/**
 * The card Update of a sender's chunk of touchpoints written at once (fast: all deltas in one
 * guarded update; exact: the card computed from the one a guard handed back), on a live customer.
 */
export function laneCardUpdate(customerId: string, receivedAt: string, card: LaneCardWrite): ItemUpdate {
  const update = updateExpression().set('updatedAt', receivedAt);
  liveCard(update);
  if (card.kind === 'exact') setWholeCard(update, customerId, card.card, card.expectedVersion);
  else fastCardUpdate(update, customerId, { deltas: card.deltas, receivedAt, asLate: false }, 0);
  return itemUpdateOf(cardKey(customerId), update);
}

/**
 * The fast path of one or more touchpoints of a customer: counters by ADD and the latest state by
 * SET, each guarded so that a blind update can never be wrong (several touchpoints move the
 * counters and fill the lists by their number, and are guarded by it). When a guard fails, the
 * exact path takes over with the card as it is. Invoice queries are the caller's (one at most).
 */
function fastCardUpdate(
  update: UpdateBuilder,
  customerId: string,
  contacts: { deltas: readonly CardDelta[]; receivedAt: string; asLate: boolean },
  invoiceAmount: number,
): void {
  const { deltas } = contacts;
  update.add('version', 1).add('touchpointCount', deltas.length).add('frequencyHeadroom', -deltas.length);
  const perChannel = new Map<string, number>();
  for (const delta of deltas) perChannel.set(delta.channel, (perChannel.get(delta.channel) ?? 0) + 1);
  for (const [channel, count] of perChannel) update.add(['countsByChannel', channel], count);
  // Tier boundary: the next touchpoints may change the tier when recent (the exact path recomputes it).
  update.when('frequencyHeadroom > :touchpoints', { ':touchpoints': deltas.length });
  // A recent touchpoint puts recency at the top score, whatever it was: the tier becomes the one the
  // card keeps ready for that, so a customer back after months stays on the fast path too.
  update
    .copy('tier', 'tierWhenRecent')
    .copy('gsi1pk', 'gsi1pkWhenRecent')
    .set('tierRecency', topRecencyScore())
    .when('attribute_exists(tierWhenRecent) AND attribute_exists(gsi1pkWhenRecent)');
  const receivedAt = new Date(contacts.receivedAt);
  const isLate = (delta: CardDelta) => contacts.asLate || looksLate(delta, receivedAt);
  const late = deltas.filter(isLate).map((delta) => delta.lastContact);
  // Of several live ones the newest (the later one on a tie, as one by one) is the last contact: the
  // others were overtaken by it, and readers take the newest contact anyway.
  const newest = deltas
    .filter((delta) => !isLate(delta))
    .reduce<CardDelta | undefined>((kept, delta) => (kept && kept.lastContact.occurredAt > delta.lastContact.occurredAt ? kept : delta), undefined);
  if (late.length > 0) {
    // Possibly late: appended without a guard on the last contact, so a real late arrival stays one write.
    update
      .append('lateContacts', late, { orEmpty: true })
      .when('(attribute_not_exists(lateContacts) OR size(lateContacts) < :lateCap)', { ':lateCap': lateContactCap - late.length + 1 });
  }
  if (newest) {
    // Live: becomes the last contact, guarded so that clock skew can never put an older one over a newer.
    // The index key is its day: SET to the day it already holds, it costs no index write (measured on
    // DynamoDB Local: 0 index units), so a read of the stored day and a guard on it would buy nothing.
    const { occurredAt } = newest.lastContact;
    update
      .set('lastContact', newest.lastContact)
      .set('gsi1sk', tierIndexKeys('', occurredAt, customerId).gsi1sk)
      .when('lastContact.occurredAt <= :occurredAt', { ':occurredAt': occurredAt });
  }
  const monetary = deltas.reduce((sum, delta) => sum + delta.value, invoiceAmount);
  if (monetary > 0) {
    update.add('monetaryTotal', monetary).add('monetaryHeadroom', -monetary).when('monetaryHeadroom > :monetary', { ':monetary': monetary });
  }
}

/** SETs every card attribute and the tier index, guarded by the version the card was computed from. */
function setWholeCard(update: UpdateBuilder, customerId: string, card: CardState, expectedVersion: number): void {
  for (const attribute of cardAttributes) update.set(attribute, attribute === 'version' ? expectedVersion + 1 : card[attribute]);
  const index = tierIndexKeys(card.tier, newestContact([card.lastContact, ...card.lateContacts])?.occurredAt ?? '', customerId);
  update
    .set('gsi1pk', index.gsi1pk)
    .set('gsi1sk', index.gsi1sk)
    .set('gsi1pkWhenRecent', tierIndexKeys(card.tierWhenRecent, '', '').gsi1pk)
    .when('version = :expectedVersion', { ':expectedVersion': expectedVersion });
}

/**
 * An exactly recomputed card (merges, undos, moves): the card's Update, then the profile's when
 * identity changes with it (identifiers, what the customer told us, an undo's revival).
 */
export function profileReplacement(customerId: string, replacement: ProfileReplacement, now: string): CustomerUpdates {
  const card = updateExpression().set('updatedAt', now);
  liveEntity(card, cardEntity.name);
  setWholeCard(card, customerId, replacement.card, replacement.expectedVersion);
  if (replacement.revive) card.remove('mergedInto');
  else card.when('attribute_not_exists(mergedInto)');
  const updates = { card: itemUpdateOf(cardKey(customerId), card) };

  const { set = [], remove = [] } = replacement.identifierChanges ?? {};
  const identityChanges = set.length > 0 || remove.length > 0 || replacement.preferences !== undefined || replacement.identifierPermissions;
  if (!identityChanges && !replacement.revive) return updates;
  const profile = updateExpression().set('updatedAt', now);
  liveEntity(profile, profileEntity.name);
  // Per key, never the whole map: a link or an ingest attaching an identifier meanwhile keeps its entry.
  for (const identifier of set) profile.set(['identifiers', identifierKey(identifier)], identifier);
  for (const identifier of remove) profile.remove(['identifiers', identifierKey(identifier)]);
  if (replacement.preferences !== undefined) profile.set('preferences', replacement.preferences);
  if (replacement.identifierPermissions) profile.set('identifierPermissions', replacement.identifierPermissions);
  if (replacement.revive) profile.remove('mergedInto', 'mergedBy').set('identityLock', replacement.revive);
  else profile.when('attribute_not_exists(mergedInto)');
  return { ...updates, profile: itemUpdateOf(profileKey(customerId), profile) };
}

/** Display name and traits: a merge-patch (null removes), only on a live customer. */
export function profileChangesUpdate(customerId: string, changes: ProfileChanges): ItemUpdate {
  const update = updateExpression();
  if (changes.displayName === null) update.remove('displayName');
  else if (changes.displayName !== undefined) update.set('displayName', changes.displayName);
  for (const [name, value] of Object.entries(changes.traits ?? {})) {
    if (value === null) update.remove(['traits', name]);
    else update.set(['traits', name], value);
  }
  update.set('updatedAt', new Date().toISOString());
  liveEntity(update, profileEntity.name).when('attribute_not_exists(mergedInto)');
  if (changes.maxTraitsBefore !== undefined) update.when('size(traits) <= :maxTraitsBefore', { ':maxTraitsBefore': changes.maxTraitsBefore });
  return itemUpdateOf(profileKey(customerId), update);
}

export function isLiveProfile(item: Item | undefined): item is Item {
  return profileEntity.is(item) && item.mergedInto === undefined;
}

export function isLiveCard(item: Item | undefined): item is Item {
  return cardEntity.is(item) && item.mergedInto === undefined;
}

/** The card of a card item read back (a parsed one, or the raw item DynamoDB handed back). */
export function toCard(item: Item): CardState {
  return cardOf(cardEntity.parse(item));
}

function cardOf(stored: StoredCard): CardState {
  const empty = emptyCard();
  // Readers see the effective last contact: the newest of the guarded one and the appended late ones.
  const lateContacts = stored.lateContacts ?? [];
  // Keyed anew from each query's own fields: cards written before keys were namespaced read the same.
  const queries = Object.values(stored.invoiceQueries ?? {}).filter(isInvoiceQuery);
  const counts = stored.countsByChannel ?? {};
  return {
    version: stored.version ?? empty.version,
    touchpointCount: stored.touchpointCount ?? empty.touchpointCount,
    countsByChannel: channelCounts(counts),
    lastContact: newestContact([stored.lastContact ?? null, ...lateContacts]),
    lateContacts,
    monetaryTotal: stored.monetaryTotal ?? empty.monetaryTotal,
    invoiceQueries: Object.fromEntries(queries.map((query) => [invoiceQueryKey(query), query])),
    tier: stored.tier ?? empty.tier,
    tierRecency: stored.tierRecency ?? empty.tierRecency,
    tierWhenRecent: stored.tierWhenRecent ?? empty.tierWhenRecent,
    frequencyHeadroom: stored.frequencyHeadroom ?? empty.frequencyHeadroom,
    monetaryHeadroom: stored.monetaryHeadroom ?? empty.monetaryHeadroom,
  };
}

function channelCounts(counts: Record<string, number>): CardState['countsByChannel'] {
  const result = { ...emptyCard().countsByChannel };
  for (const channel of channels) result[channel] = Number(counts[channel] ?? 0);
  return result;
}

/** The customer of its two items read back. */
export function toCustomer(profile: Item, card: Item): Customer {
  return customerOf(profileEntity.parse(profile), cardEntity.parse(card));
}

function customerOf(profile: ProfileItem, card: CardItem): Customer {
  const profileUpdatedAt = profile.updatedAt ?? profile.createdAt;
  return {
    customerId: profile.customerId,
    createdAt: profile.createdAt,
    // The later of the two: a touchpoint writes the card alone.
    updatedAt: card.updatedAt !== undefined && card.updatedAt > profileUpdatedAt ? card.updatedAt : profileUpdatedAt,
    identifiers: Object.values(profile.identifiers ?? {}),
    card: cardOf(card),
    displayName: profile.displayName ?? null,
    traits: profile.traits ?? {},
    preferences: profile.preferences ?? null,
    identifierPermissions: profile.identifierPermissions ?? {},
  };
}

export function toProfileRecord(profileItem: Item, card: Item): ProfileRecord {
  const profile = profileEntity.parse(profileItem);
  return { ...customerOf(profile, cardEntity.parse(card)), mergedInto: profile.mergedInto ?? null, mergedBy: profile.mergedBy ?? null };
}
