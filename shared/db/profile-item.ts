import {
  type CardState,
  emptyCard,
  type InvoiceQueryState,
  invoiceQueryKey,
  lateContactCap,
  looksLate,
  maxInvoiceQueries,
  newestContact,
  storedPageCap,
  topRecencyScore,
} from '../domain/card.ts';
import { maxIdentifiersPerCustomer } from '../domain/bounds.ts';
import { identifierKey } from '../domain/identifiers.ts';
import type { ProfileChanges, TouchpointWrite } from '../domain/customer-store.ts';
import type { ProfileRecord, ProfileReplacement } from '../domain/identity-store.ts';
import type { AttachedIdentifier, Customer } from '../domain/model.ts';
import { channels } from '../domain/channels.ts';
import { profileKey, tierIndexKeys } from './keys.ts';

/**
 * The customer profile item: identity, the recognition card and what the customer told us.
 * This module turns a card write into one DynamoDB Put or Update (with its guards) and reads it back.
 */

type Item = Record<string, unknown>;

/**
 * The entity a profile takes while its customer is being erased: readers that ask for a `customer`
 * see nobody (get, lookup, merges, links answer 404), and the writes below refuse it, so an erase
 * cut short leaves a customer that is gone, never half there, until a repeat of the erase finishes.
 */
export const erasingProfileEntity = 'erasingCustomer';

export interface ProfileUpdate {
  Key: ReturnType<typeof profileKey>;
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

const cardAttributes = [
  'version',
  'touchpointCount',
  'countsByChannel',
  'lastContact',
  'lateContacts',
  'monetaryTotal',
  'invoiceQueries',
  'recentPages',
  'tier',
  'tierRecency',
  'frequencyHeadroom',
  'monetaryHeadroom',
] as const satisfies readonly (keyof CardState)[];

export function newProfileItem(customerId: string, createdAt: string, card: CardState, attach: AttachedIdentifier[]): Item {
  return {
    ...profileKey(customerId),
    entity: 'customer',
    customerId,
    createdAt,
    updatedAt: createdAt,
    identifiers: Object.fromEntries(attach.map((identifier) => [identifierKey(identifier), identifier])),
    traits: {},
    identifierPermissions: {},
    ...card,
    ...tierIndexKeys(card.tier, card.lastContact?.occurredAt ?? createdAt, customerId),
  };
}

/** The Update for an existing customer's card (fast or exact), plus the identifiers to attach. */
export function profileUpdate(
  customerId: string,
  write: TouchpointWrite & { customer: { kind: 'fast' | 'exact' } },
): ProfileUpdate {
  const names: Record<string, string> = { '#entity': 'entity' };
  const values: Record<string, unknown> = { ':now': write.touchpoint.receivedAt, ':customerEntity': 'customer' };
  const sets = ['updatedAt = :now'];
  const adds: string[] = [];
  // A profile under erasure is not a customer to record on.
  const conditions = ['attribute_exists(pk)', 'attribute_not_exists(mergedInto)', '#entity = :customerEntity'];
  if (write.attach.length > 0) {
    values[':identifierRoom'] = maxIdentifiersPerCustomer - write.attach.length;
    conditions.push('size(identifiers) <= :identifierRoom');
  }
  write.attach.forEach((identifier, index) => {
    names[`#identifier${index}`] = identifierKey(identifier);
    values[`:identifier${index}`] = identifier;
    sets.push(`identifiers.#identifier${index} = :identifier${index}`);
  });

  if (write.profileChanges) {
    values[':preferences'] = write.profileChanges.preferences;
    sets.push('preferences = :preferences');
    // PUT semantics: what the customer told us now replaces what they told us before, per identifier too.
    values[':identifierPermissions'] = write.profileChanges.identifierPermissions;
    sets.push('identifierPermissions = :identifierPermissions');
  }

  const { customer } = write;
  if (customer.kind === 'exact') {
    setWholeCard(customerId, customer.card, customer.expectedVersion, sets, values, conditions);
  } else {
    // The fast path: counters by ADD and the latest state by SET, each guarded so that a blind
    // update can never be wrong. When a guard fails, the exact path takes over with the card as it is.
    const { delta } = customer;
    names['#channel'] = delta.channel;
    Object.assign(values, {
      ':one': 1,
      ':minusOne': -1,
      ':topRecency': topRecencyScore(),
    });
    adds.push('version :one', 'touchpointCount :one', 'countsByChannel.#channel :one', 'frequencyHeadroom :minusOne');
    // Tier boundary: the next touchpoint changes the frequency score (the exact path recomputes the tier).
    conditions.push('frequencyHeadroom > :one', 'tierRecency = :topRecency');
    if (customer.asLate || looksLate(delta, new Date(write.touchpoint.receivedAt))) {
      // Possibly late: appended without a guard on the last contact, so a real late arrival stays one write.
      Object.assign(values, { ':lateContact': [delta.lastContact], ':noContacts': [], ':lateCap': lateContactCap });
      sets.push('lateContacts = list_append(if_not_exists(lateContacts, :noContacts), :lateContact)');
      conditions.push('(attribute_not_exists(lateContacts) OR size(lateContacts) < :lateCap)');
    } else {
      // Live: becomes the last contact, guarded so that clock skew can never put an older one over a newer.
      Object.assign(values, {
        ':lastContact': delta.lastContact,
        ':occurredAt': delta.lastContact.occurredAt,
        ':gsi1sk': tierIndexKeys('', delta.lastContact.occurredAt, customerId).gsi1sk,
      });
      sets.push('lastContact = :lastContact', 'gsi1sk = :gsi1sk');
      conditions.push('lastContact.occurredAt <= :occurredAt');
    }

    const invoiceAmount = customer.invoiceQueryExpectedNew ? (delta.invoiceQuery?.state.amount?.value ?? 0) : 0;
    const monetary = delta.value + invoiceAmount;
    if (monetary > 0) {
      Object.assign(values, { ':monetary': monetary, ':minusMonetary': -monetary });
      adds.push('monetaryTotal :monetary', 'monetaryHeadroom :minusMonetary');
      conditions.push('monetaryHeadroom > :monetary');
    }
    if (delta.invoiceQuery) {
      const { key, state } = delta.invoiceQuery;
      names['#query'] = key;
      if (customer.invoiceQueryExpectedNew) {
        // At the bound the exact path decides (drop the oldest resolved query, or refuse).
        Object.assign(values, { ':query': state, ':queryCap': maxInvoiceQueries });
        sets.push('invoiceQueries.#query = :query');
        conditions.push('attribute_not_exists(invoiceQueries.#query)', 'size(invoiceQueries) < :queryCap');
      } else {
        // A status change keeps what the query already knows (opened when, amount, reason) unless it says anew.
        Object.assign(values, {
          ':queryStatus': state.status,
          ':resolvedAt': state.resolvedAt,
          ':occurredAt': delta.lastContact.occurredAt,
        });
        names['#queryStatus'] = 'status';
        sets.push(
          'invoiceQueries.#query.#queryStatus = :queryStatus',
          'invoiceQueries.#query.updatedAt = :occurredAt',
          'invoiceQueries.#query.resolvedAt = :resolvedAt',
        );
        if (state.amount) {
          values[':queryAmount'] = state.amount;
          sets.push('invoiceQueries.#query.amount = :queryAmount');
        }
        if (state.reason) {
          values[':queryReason'] = state.reason;
          sets.push('invoiceQueries.#query.reason = :queryReason');
        }
        conditions.push('invoiceQueries.#query.updatedAt <= :occurredAt');
      }
    }
    if (delta.page) {
      Object.assign(values, { ':page': [delta.page], ':pageCap': storedPageCap });
      sets.push('recentPages = list_append(recentPages, :page)');
      conditions.push('size(recentPages) < :pageCap');
    }
  }
  return {
    Key: profileKey(customerId),
    UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** SETs every card attribute and the tier index, guarded by the version the card was computed from. */
function setWholeCard(
  customerId: string,
  card: CardState,
  expectedVersion: number,
  sets: string[],
  values: Record<string, unknown>,
  conditions: string[],
): void {
  for (const attribute of cardAttributes) {
    values[`:${attribute}`] = attribute === 'version' ? expectedVersion + 1 : card[attribute];
    sets.push(`${attribute} = :${attribute}`);
  }
  const index = tierIndexKeys(card.tier, newestContact([card.lastContact, ...card.lateContacts])?.occurredAt ?? '', customerId);
  Object.assign(values, { ':gsi1pk': index.gsi1pk, ':gsi1sk': index.gsi1sk, ':expectedVersion': expectedVersion });
  sets.push('gsi1pk = :gsi1pk', 'gsi1sk = :gsi1sk');
  conditions.push('version = :expectedVersion');
}

/** An exactly recomputed card (merges, undos, moves), with the profile changes that go with it. */
export function profileReplacement(customerId: string, replacement: ProfileReplacement, now: string): ProfileUpdate {
  const values: Record<string, unknown> = { ':now': now, ':customerEntity': 'customer' };
  const sets = ['updatedAt = :now'];
  const removes: string[] = [];
  const conditions = ['attribute_exists(pk)', '#entity = :customerEntity'];
  setWholeCard(customerId, replacement.card, replacement.expectedVersion, sets, values, conditions);
  // Per key, never the whole map: a link or an ingest attaching an identifier meanwhile keeps its entry.
  const names: Record<string, string> = { '#entity': 'entity' };
  replacement.identifierChanges?.set.forEach((identifier, index) => {
    names[`#setIdentifier${index}`] = identifierKey(identifier);
    values[`:setIdentifier${index}`] = identifier;
    sets.push(`identifiers.#setIdentifier${index} = :setIdentifier${index}`);
  });
  replacement.identifierChanges?.remove.forEach((identifier, index) => {
    names[`#removeIdentifier${index}`] = identifierKey(identifier);
    removes.push(`identifiers.#removeIdentifier${index}`);
  });
  if (replacement.preferences !== undefined) {
    values[':preferences'] = replacement.preferences;
    sets.push('preferences = :preferences');
  }
  if (replacement.identifierPermissions) {
    values[':identifierPermissions'] = replacement.identifierPermissions;
    sets.push('identifierPermissions = :identifierPermissions');
  }
  if (replacement.revive) removes.push('mergedInto', 'mergedBy');
  else conditions.push('attribute_not_exists(mergedInto)');
  return {
    Key: profileKey(customerId),
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Display name and traits: a merge-patch (null removes), only on a live customer. */
export function profileChangesUpdate(customerId: string, changes: ProfileChanges): Omit<ProfileUpdate, 'ExpressionAttributeValues'> & { ExpressionAttributeValues?: Record<string, unknown> } {
  const names: Record<string, string> = { '#entity': 'entity' };
  const values: Record<string, unknown> = { ':customerEntity': 'customer' };
  const sets: string[] = [];
  const removes: string[] = [];
  if (changes.displayName === null) removes.push('displayName');
  else if (changes.displayName !== undefined) {
    values[':displayName'] = changes.displayName;
    sets.push('displayName = :displayName');
  }
  Object.entries(changes.traits ?? {}).forEach(([name, value], index) => {
    names[`#trait${index}`] = name;
    if (value === null) removes.push(`traits.#trait${index}`);
    else {
      values[`:trait${index}`] = value;
      sets.push(`traits.#trait${index} = :trait${index}`);
    }
  });
  values[':now'] = new Date().toISOString();
  sets.push('updatedAt = :now');
  if (changes.maxTraitsBefore !== undefined) values[':maxTraitsBefore'] = changes.maxTraitsBefore;
  return {
    Key: profileKey(customerId),
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(mergedInto) AND #entity = :customerEntity${
      changes.maxTraitsBefore === undefined ? '' : ' AND size(traits) <= :maxTraitsBefore'
    }`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export function isLiveProfile(item: Item | undefined): item is Item {
  return item !== undefined && item.entity === 'customer' && item.mergedInto === undefined;
}

export function toCard(item: Item): CardState {
  const empty = emptyCard();
  const card = { ...empty } as Record<string, unknown>;
  for (const attribute of cardAttributes) {
    if (item[attribute] !== undefined) card[attribute] = item[attribute];
  }
  // Readers see the effective last contact: the newest of the guarded one and the appended late ones.
  card.lateContacts = (item.lateContacts as CardState['lateContacts'] | undefined) ?? [];
  card.lastContact = newestContact([item.lastContact as CardState['lastContact'], ...(card.lateContacts as CardState['lateContacts'])]);
  // Keyed anew from each query's own fields: cards written before keys were namespaced read the same.
  const queries = Object.values((item.invoiceQueries as Record<string, unknown> | undefined) ?? {}).filter(isInvoiceQuery);
  card.invoiceQueries = Object.fromEntries(queries.map((query) => [invoiceQueryKey(query), query]));
  const counts = (item.countsByChannel as Record<string, number> | undefined) ?? {};
  card.countsByChannel = Object.fromEntries(channels.map((channel) => [channel, Number(counts[channel] ?? 0)]));
  return card as unknown as CardState;
}

function isInvoiceQuery(value: unknown): value is InvoiceQueryState {
  const query = value as Partial<InvoiceQueryState> | null;
  return typeof query === 'object' && query !== null && typeof query.invoiceNumber === 'string' && typeof query.status === 'string';
}

export function toCustomer(item: Item): Customer {
  return {
    customerId: item.customerId as string,
    createdAt: item.createdAt as string,
    updatedAt: (item.updatedAt as string | undefined) ?? (item.createdAt as string),
    identifiers: Object.values((item.identifiers as Record<string, AttachedIdentifier> | undefined) ?? {}),
    card: toCard(item),
    displayName: (item.displayName as string | undefined) ?? null,
    traits: (item.traits as Record<string, unknown> | undefined) ?? {},
    preferences: (item.preferences as Customer['preferences'] | undefined) ?? null,
    identifierPermissions: (item.identifierPermissions as Customer['identifierPermissions'] | undefined) ?? {},
  };
}

export function toProfileRecord(item: Item): ProfileRecord {
  return {
    ...toCustomer(item),
    mergedInto: (item.mergedInto as string | undefined) ?? null,
    mergedBy: (item.mergedBy as string | undefined) ?? null,
  };
}
