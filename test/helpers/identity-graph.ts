import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createDynamoDbClient } from '../../shared/db/client.ts';
import { dynamoCustomerStore } from '../../shared/db/dynamo-customer-store.ts';
import { dynamoIdentityStore } from '../../shared/db/dynamo-identity-store.ts';
import { customerIdOfPartition } from '../../shared/db/keys.ts';
import type { TouchpointStore } from '../../shared/domain/customer-store.ts';
import type { IdentityStore } from '../../shared/domain/identity-store.ts';
import { identifierKey } from '../../shared/domain/identifiers.ts';
import { listIdentifiers } from '../../shared/domain/identity-history.ts';
import { getCustomer, getTimeline } from '../../shared/domain/read-customers.ts';
import { presentCustomerView } from '../../shared/http/presenters.ts';
import { ensureTestTable } from './dynamodb.ts';

/**
 * The identity graph as stored, for tests that check its invariants after every step: every
 * touchpoint reachable from exactly one live customer, every identifier resolving to exactly one
 * live customer that lists it, no merge cycle. Reads the table with a Scan (a test inspects; no
 * request path scans) through a client of its own, so inspecting never shows in call counts.
 */

type Item = Record<string, unknown>;
export type GraphStore = TouchpointStore & IdentityStore;

function endpoint(): string {
  const value = process.env.DYNAMODB_ENDPOINT;
  if (!value) throw new Error('DYNAMODB_ENDPOINT is not set: is test/helpers/per-file-setup.ts in setupFiles?');
  return value;
}

let inspector: DynamoDBDocumentClient | undefined;
let admin: DynamoDBClient | undefined;
let application: DynamoDBDocumentClient | undefined;

function inspectorClient(): DynamoDBDocumentClient {
  inspector ??= createDocumentClient({ endpoint: endpoint(), region: 'local' });
  return inspector;
}

function adminClient(): DynamoDBClient {
  admin ??= createDynamoDbClient({ endpoint: endpoint(), region: 'local' });
  return admin;
}

/** The stores the Lambdas use, on a table of the caller's choosing. */
export function graphStore(tableName: string, client?: DynamoDBDocumentClient): GraphStore {
  application ??= createDocumentClient({ region: 'local', endpoint: endpoint() });
  const used = client ?? application;
  return { ...dynamoCustomerStore(used, tableName), ...dynamoIdentityStore(used, tableName) };
}

export interface GraphTable {
  tableName: string;
  store: GraphStore;
  drop(): Promise<void>;
}

/** A table of its own (one per property run or race), so that the checker can look at the whole of it. */
export async function createGraphTable(): Promise<GraphTable> {
  const tableName = `identity-graph-${randomUUID()}`;
  await ensureTestTable(adminClient(), tableName);
  return {
    tableName,
    store: graphStore(tableName),
    drop: async () => {
      await adminClient().send(new DeleteTableCommand({ TableName: tableName }));
    },
  };
}

export async function scanItems(tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await inspectorClient().send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...((page.Items ?? []) as Item[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export interface GraphCheckOptions {
  /** Touchpoints that must each be stored exactly once (nothing lost, nothing duplicated). */
  touchpointIds?: Iterable<string>;
  /** Only these customers (and the survivors they were merged into); by default every customer in the table. */
  customerIds?: Iterable<string>;
}

const isTouchpoint = (item: Item) => item.entity === 'touchpoint' && typeof item.sk === 'string' && item.sk.startsWith('T#');

/** Every broken invariant of the identity graph, as sentences; empty when the graph is sound. */
export function graphProblems(items: Item[], options: GraphCheckOptions = {}): string[] {
  const problems: string[] = [];
  const profiles = new Map<string, Item>();
  const cards = new Map<string, Item>();
  const touchpoints = new Map<string, Item[]>();
  const locators = new Map<string, Item>();
  const identifiers: Item[] = [];
  const touchpointCountByPartition = new Map<string, number>();
  for (const item of items) {
    if (item.entity === 'customer') profiles.set(item.customerId as string, item);
    else if (item.entity === 'card') cards.set(item.customerId as string, item);
    else if (isTouchpoint(item)) {
      const id = item.touchpointId as string;
      touchpoints.set(id, [...(touchpoints.get(id) ?? []), item]);
      const owner = customerIdOfPartition(item.pk) ?? String(item.pk);
      touchpointCountByPartition.set(owner, (touchpointCountByPartition.get(owner) ?? 0) + 1);
    } else if (item.entity === 'touchpointLocator') locators.set(item.touchpointId as string, item);
    else if (item.entity === 'identifier') identifiers.push(item);
  }

  const scope = new Set<string>();
  const addWithSurvivors = (customerId: string) => {
    for (let current: string | undefined = customerId, hops = 0; current && !scope.has(current) && hops < 20; hops += 1) {
      scope.add(current);
      current = profiles.get(current)?.mergedInto as string | undefined;
    }
  };
  if (options.customerIds) for (const customerId of options.customerIds) addWithSurvivors(customerId);
  else for (const customerId of profiles.keys()) scope.add(customerId);

  const isLive = (customerId: string) => {
    const profile = profiles.get(customerId);
    return profile !== undefined && profile.mergedInto === undefined;
  };
  const lists = (customerId: string, key: string) => Object.hasOwn((profiles.get(customerId)?.identifiers as Record<string, unknown> | undefined) ?? {}, key);

  // Touchpoints: one item each, in a live customer's partition, found there by its locator.
  for (const [touchpointId, stored] of touchpoints) {
    const owners = stored.map((item) => customerIdOfPartition(item.pk) ?? String(item.pk));
    if (!owners.some((owner) => scope.has(owner))) continue;
    if (stored.length > 1) problems.push(`touchpoint ${touchpointId} is stored ${stored.length} times (on ${owners.join(', ')})`);
    for (const item of stored) {
      const owner = customerIdOfPartition(item.pk) ?? String(item.pk);
      if (!isLive(owner)) problems.push(`touchpoint ${touchpointId} is on ${owner}, which is ${profiles.has(owner) ? 'merged away' : 'missing'}`);
      if (item.customerId !== owner) problems.push(`touchpoint ${touchpointId} says customer ${String(item.customerId)} but is in ${owner}'s partition`);
      const locator = locators.get(touchpointId);
      if (!locator) problems.push(`touchpoint ${touchpointId} has no locator`);
      else if (locator.customerId !== owner || locator.occurredAt !== item.occurredAt) {
        problems.push(`the locator of touchpoint ${touchpointId} points at ${String(locator.customerId)}, the touchpoint is on ${owner}`);
      }
    }
  }
  for (const [touchpointId, locator] of locators) {
    if (!scope.has(locator.customerId as string)) continue;
    if (!touchpoints.has(touchpointId)) problems.push(`touchpoint ${touchpointId} is lost: its locator points at ${String(locator.customerId)}`);
  }
  for (const touchpointId of options.touchpointIds ?? []) {
    const count = touchpoints.get(touchpointId)?.length ?? 0;
    if (count !== 1) problems.push(`touchpoint ${touchpointId} is stored ${count} times, not once`);
  }

  // Identifiers: each resolves to one live customer that lists it (and to live customers it is shared with).
  for (const item of identifiers) {
    const key = String(item.pk).replace(/^IDENT#/, '');
    const owner = item.customerId as string;
    const sharedWith = (item.sharedWith as string[] | undefined) ?? [];
    if (!scope.has(owner) && !sharedWith.some((customerId) => scope.has(customerId))) continue;
    if (!isLive(owner)) problems.push(`identifier ${key} points at ${owner}, which is ${profiles.has(owner) ? 'merged away' : 'missing'}`);
    else if (!lists(owner, key)) problems.push(`identifier ${key} points at ${owner}, whose profile does not list it`);
    if (sharedWith.includes(owner)) problems.push(`identifier ${key} is shared by ${owner} with itself`);
    if (new Set(sharedWith).size !== sharedWith.length) problems.push(`identifier ${key} names a customer twice in sharedWith`);
    for (const other of sharedWith) {
      if (!isLive(other)) problems.push(`identifier ${key} is shared with ${other}, which is not live`);
      else if (!lists(other, key)) problems.push(`identifier ${key} is shared with ${other}, whose profile does not list it`);
    }
  }
  const identifierByKey = new Map(identifiers.map((item) => [String(item.pk).replace(/^IDENT#/, ''), item]));

  for (const customerId of scope) {
    const profile = profiles.get(customerId);
    if (!profile) {
      problems.push(`customer ${customerId} has no profile`);
      continue;
    }
    const card = cards.get(customerId);
    if (!card) problems.push(`customer ${customerId} has no card`);
    else if (card.mergedInto !== profile.mergedInto) {
      problems.push(`customer ${customerId}'s card says merged into ${String(card.mergedInto)}, its profile ${String(profile.mergedInto)}`);
    }
    if (profile.mergedInto !== undefined) {
      // A merged-away customer leads to a live survivor, never round in a circle.
      const seen = new Set<string>([customerId]);
      let current = profile.mergedInto as string;
      for (let hops = 0; ; hops += 1) {
        if (seen.has(current)) {
          problems.push(`merge cycle: ${[...seen, current].join(' -> ')}`);
          break;
        }
        seen.add(current);
        const next = profiles.get(current);
        if (!next) {
          problems.push(`customer ${customerId} was merged into ${current}, which does not exist`);
          break;
        }
        if (next.mergedInto === undefined) break;
        if (hops > 10) {
          problems.push(`customer ${customerId} is more than 10 merges away from a survivor`);
          break;
        }
        current = next.mergedInto as string;
      }
      const left = touchpointCountByPartition.get(customerId) ?? 0;
      if (left > 0) problems.push(`customer ${customerId} was merged away but still holds ${left} touchpoint(s)`);
      continue;
    }
    for (const key of Object.keys((profile.identifiers as Record<string, unknown> | undefined) ?? {})) {
      const item = identifierByKey.get(key);
      if (!item) problems.push(`customer ${customerId} lists identifier ${key}, which resolves to nobody`);
      else if (item.customerId !== customerId && !((item.sharedWith as string[] | undefined) ?? []).includes(customerId)) {
        problems.push(`customer ${customerId} lists identifier ${key}, which resolves to ${String(item.customerId)}`);
      }
    }
    const stored = touchpointCountByPartition.get(customerId) ?? 0;
    if (Number(card?.touchpointCount ?? 0) !== stored) {
      problems.push(`customer ${customerId}'s card counts ${String(card?.touchpointCount)} touchpoints, the timeline holds ${stored}`);
    }
  }
  return problems;
}

export async function identityGraphProblems(tableName: string, options: GraphCheckOptions = {}): Promise<string[]> {
  return graphProblems(await scanItems(tableName), options);
}

/** A fixed reading time, so that two views taken at different moments compare equal (recency, ages). */
export const viewTime = new Date('2026-11-23T12:00:00.000Z');

/**
 * What staff see of a customer, through the use cases: the customer view (card without its
 * freshness stamp), the whole timeline and the identifiers with their provenance.
 */
export async function customerViews(store: GraphStore, customerId: string) {
  const view = await getCustomer(store, customerId);
  const { freshness: _freshness, ...card } = presentCustomerView(view, viewTime).card;
  const timeline: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await getTimeline(store, customerId, { limit: 200, ...(cursor ? { cursor } : {}) });
    timeline.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const profile = await listIdentifiers(store, customerId);
  const identifiers = [...profile.identifiers]
    .sort((a, b) => identifierKey(a).localeCompare(identifierKey(b)))
    .map(({ type, value, shared, provenance }) => ({ type, value, shared: shared ?? false, provenance }));
  return { customer: { ...presentCustomerView(view, viewTime), card }, timeline, identifiers };
}
