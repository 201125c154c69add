/**
 * After a fault run: reads the whole (small, dedicated) table and checks that what the clients
 * were told matches what is stored, and that no write was left half done.
 *
 * - exactly once: every acknowledged request's touchpoint is stored once, with the id and customer
 *   the client was given; an unacknowledged one at most once;
 * - nothing half-written: every customer has both its items (profile and card) or neither, the
 *   card's entity and `mergedInto` matching the profile's; every profile's identifiers have their
 *   identifier items, pointing back at it, and every identifier item's customer exists and lists it; every touchpoint has its
 *   locator and its customer, and every locator its touchpoint; every idempotency record's
 *   touchpoint exists; the card's counters equal the touchpoints actually stored;
 * - no request got a 500 (or any answer but 201, 200 or a retryable 503).
 *
 * Automatic merges (an anonymous profile merged into the customer who signed up) are multi-step
 * and resumable by design: the source is marked merged first, then its identifiers and touchpoints
 * move, then the survivor's card is recomputed. Ids are compared through `mergedInto`, and what an
 * unfinished merge leaves on the merged-away profile is counted apart (`unfinishedMerges`), not as
 * a half-written transaction.
 *
 * A Scan is right here: this is an offline checker on a table made for the run, never a request path.
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { identifierItemKey, touchpointLocatorKey } from '../../shared/db/keys.ts';
import { erasingCardEntity, erasingProfileEntity, toCustomer } from '../../shared/db/profile-item.ts';
import { identifierKey } from '../../shared/domain/identifiers.ts';
import type { Customer } from '../../shared/domain/model.ts';
import { faultRunSummaryPrefix } from './fault-plan.ts';
import type { RequestOutcome } from './retrying-client.ts';

type Item = Record<string, unknown>;

export interface IntegrityReport {
  ok: boolean;
  requests: number;
  acknowledged: number;
  /** Requests that needed more than one attempt. */
  retried: number;
  /** Acknowledged with `replayed: true`: the first write landed but its answer was lost, and the retry replayed it. */
  replayedAfterLostAnswer: number;
  /** Every attempt's status, counted (0: connection refused, reset or timed out). */
  attemptStatuses: Record<string, number>;
  stored: { customers: number; mergedAway: number; identifiers: number; touchpoints: number };
  /** Violations by invariant; all zero when ok. */
  violations: Record<string, number>;
  /** Merges still `in_progress`, and what they leave behind (touchpoints not yet moved, survivors' cards not yet recomputed). */
  unfinishedMerges: { merges: number; touchpointsLeftOnSource: number; cardsAwaitingRecompute: number };
  /** The first few violations, described. */
  examples: string[];
}

export async function checkIntegrity(client: DynamoDBDocumentClient, tableName: string, outcomes: RequestOutcome[]): Promise<IntegrityReport> {
  const items = await scanAll(client, tableName);
  const byKey = new Map(items.map((item) => [`${item.pk}|${item.sk}`, item]));
  const ofEntity = (entity: string) => items.filter((item) => item.entity === entity);
  const cards = new Map(items.filter((item) => item.entity === 'card' || item.entity === erasingCardEntity).map((item) => [item.pk, item]));
  const profileItems = items.filter((item) => item.entity === 'customer' || item.entity === erasingProfileEntity);
  const profiles = new Map<string, { customer: Customer; mergedInto: string | undefined }>();
  for (const item of profileItems) {
    const card = cards.get(item.pk);
    if (item.entity !== 'customer' || card?.entity !== 'card') continue;
    profiles.set(item.customerId as string, {
      customer: toCustomer(item, card),
      mergedInto: typeof item.mergedInto === 'string' ? item.mergedInto : undefined,
    });
  }
  /** The customer a (possibly merged-away) customer lives on as. */
  const survivor = (customerId: string | undefined): string | undefined => {
    let current = customerId;
    for (let hops = 0; current !== undefined && hops < 20; hops += 1) {
      const next = profiles.get(current)?.mergedInto;
      if (next === undefined) return current;
      current = next;
    }
    return current;
  };
  const unfinished = ofEntity('merge').filter((merge) => merge.status === 'in_progress');
  const inUnfinishedMerge = new Set(unfinished.flatMap((merge) => [merge.sourceCustomerId as string, merge.targetCustomerId as string]));
  const identifierItems = ofEntity('identifier');
  const touchpoints = ofEntity('touchpoint');

  const violations: Record<string, number> = {
    'acknowledged touchpoint missing': 0,
    'touchpoint stored more than once': 0,
    'acknowledged ids differ from stored': 0,
    'request not acknowledged': 0,
    'server error (5xx other than 503)': 0,
    'unexpected client error (4xx)': 0,
    'profile identifier without its identifier item': 0,
    'identifier item without its customer': 0,
    'touchpoint without its customer': 0,
    'touchpoint without its locator': 0,
    'locator without its touchpoint': 0,
    'idempotency record without its touchpoint': 0,
    'card counters differ from stored touchpoints': 0,
    'customer with one of its two items': 0,
  };
  const examples: string[] = [];
  const violation = (kind: string, detail: string) => {
    violations[kind] = (violations[kind] ?? 0) + 1;
    if (examples.length < 20) examples.push(`${kind}: ${detail}`);
  };

  // Both items or neither, the card guarding as the profile does (entity and mergedInto).
  const erasing = (entity: unknown) => entity === erasingProfileEntity || entity === erasingCardEntity;
  for (const profile of profileItems) {
    const card = cards.get(profile.pk);
    if (!card || erasing(card.entity) !== erasing(profile.entity) || card.mergedInto !== profile.mergedInto) {
      violation('customer with one of its two items', `${profile.pk}: profile ${profile.entity}, card ${card?.entity ?? 'missing'}`);
    }
  }
  const profileKeys = new Set(profileItems.map((profile) => profile.pk));
  for (const card of cards.values()) {
    if (!profileKeys.has(card.pk)) violation('customer with one of its two items', `${card.pk}: card without its profile`);
  }

  const byMarker = new Map<string, Item[]>();
  for (const touchpoint of touchpoints) {
    const summary = touchpoint.summary;
    if (typeof summary !== 'string' || !summary.startsWith(faultRunSummaryPrefix)) continue;
    const marker = summary.slice(faultRunSummaryPrefix.length);
    byMarker.set(marker, [...(byMarker.get(marker) ?? []), touchpoint]);
  }

  const attemptStatuses: Record<string, number> = {};
  for (const outcome of outcomes) {
    for (const status of outcome.statuses) attemptStatuses[status] = (attemptStatuses[status] ?? 0) + 1;
    if (outcome.statuses.some((status) => status >= 500 && status !== 503)) {
      violation('server error (5xx other than 503)', `${outcome.request.id} got ${outcome.statuses.join(',')}`);
    }
    if (outcome.statuses.some((status) => status >= 400 && status < 500)) {
      violation('unexpected client error (4xx)', `${outcome.request.id} got ${outcome.statuses.join(',')}`);
    }
    const stored = byMarker.get(outcome.request.id) ?? [];
    if (stored.length > 1) violation('touchpoint stored more than once', `${outcome.request.id} is stored ${stored.length} times`);
    const answer = outcome.answer;
    if (!answer) {
      violation('request not acknowledged', `${outcome.request.id} ended with ${compact(outcome.statuses)}`);
      continue;
    }
    if (stored.length === 0) {
      violation('acknowledged touchpoint missing', `${outcome.request.id} (${answer.touchpointId}) is not stored`);
    } else if (!stored.some((item) => item.touchpointId === answer.touchpointId && survivor(item.customerId as string) === survivor(answer.customerId))) {
      violation(
        'acknowledged ids differ from stored',
        `${outcome.request.id}: told ${answer.touchpointId} on ${answer.customerId}, stored ${stored[0]?.touchpointId} on ${stored[0]?.customerId}`,
      );
    }
  }

  for (const [customerId, { customer, mergedInto }] of profiles) {
    // A merged-away profile keeps its identifier list for an undo; its identifier items point at the survivor.
    if (mergedInto !== undefined) continue;
    for (const identifier of customer.identifiers) {
      const key = identifierItemKey(identifier);
      const item = byKey.get(`${key.pk}|${key.sk}`);
      if (survivor(item?.customerId as string | undefined) !== customerId) {
        violation(
          'profile identifier without its identifier item',
          `${customerId} lists ${identifierKey(identifier)}, owned by ${item?.customerId ?? 'nobody'}`,
        );
      }
    }
  }
  for (const item of identifierItems) {
    const owner = profiles.get(item.customerId as string);
    const listedBy = (customerId: string | undefined) =>
      customerId !== undefined &&
      profiles.get(customerId)?.customer.identifiers.some((identifier) => identifier.type === item.type && identifier.value === item.value);
    if (!owner || !(listedBy(item.customerId as string) || listedBy(survivor(item.customerId as string)))) {
      if (owner && inUnfinishedMerge.has(item.customerId as string)) continue;
      violation('identifier item without its customer', `${item.pk} -> ${item.customerId}`);
    }
  }

  const stored = new Map<string, { count: number; byChannel: Record<string, number> }>();
  const touchpointIds = new Map<string, Item>();
  let touchpointsLeftOnSource = 0;
  for (const touchpoint of touchpoints) {
    const customerId = touchpoint.customerId as string;
    touchpointIds.set(touchpoint.touchpointId as string, touchpoint);
    const owner = profiles.get(customerId);
    if (!owner) violation('touchpoint without its customer', `${touchpoint.touchpointId} -> ${customerId}`);
    else if (owner.mergedInto !== undefined) {
      if (inUnfinishedMerge.has(customerId)) touchpointsLeftOnSource += 1;
      else violation('touchpoint without its customer', `${touchpoint.touchpointId} is on ${customerId}, merged into ${owner.mergedInto} by a finished merge`);
    }
    const locatorKey = touchpointLocatorKey(touchpoint.touchpointId as string);
    const locator = byKey.get(`${locatorKey.pk}|${locatorKey.sk}`);
    if (locator?.customerId !== customerId || locator?.occurredAt !== touchpoint.occurredAt) {
      violation('touchpoint without its locator', `${touchpoint.touchpointId} on ${customerId}, locator says ${locator?.customerId}`);
    }
    const counts = stored.get(customerId) ?? { count: 0, byChannel: {} };
    counts.count += 1;
    counts.byChannel[touchpoint.channel as string] = (counts.byChannel[touchpoint.channel as string] ?? 0) + 1;
    stored.set(customerId, counts);
  }
  for (const locator of ofEntity('touchpointLocator')) {
    const touchpoint = touchpointIds.get(locator.touchpointId as string);
    if (touchpoint?.customerId !== locator.customerId) violation('locator without its touchpoint', `${locator.touchpointId}`);
  }
  // A key's record is its touchpoint's locator: its answer must name that touchpoint and (following merges) its customer.
  for (const record of ofEntity('touchpointLocator').filter((locator) => locator.result !== undefined)) {
    const result = record.result as { touchpointId?: string; customerId?: string };
    const touchpoint = touchpointIds.get(record.touchpointId as string);
    if (!touchpoint || result.touchpointId !== record.touchpointId || survivor(touchpoint.customerId as string) !== survivor(result.customerId)) {
      violation('idempotency record without its touchpoint', `${record.pk}`);
    }
  }
  let cardsAwaitingRecompute = 0;
  for (const [customerId, { customer, mergedInto }] of profiles) {
    if (mergedInto !== undefined) continue;
    const counts = stored.get(customerId) ?? { count: 0, byChannel: {} };
    const channelsDiffer = Object.entries(customer.card.countsByChannel).some(([channel, count]) => count !== (counts.byChannel[channel] ?? 0));
    if (customer.card.touchpointCount !== counts.count || channelsDiffer) {
      if (inUnfinishedMerge.has(customerId)) cardsAwaitingRecompute += 1;
      else violation('card counters differ from stored touchpoints', `${customerId}: card says ${customer.card.touchpointCount}, stored ${counts.count}`);
    }
  }

  const live = [...profiles.values()].filter((profile) => profile.mergedInto === undefined).length;
  return {
    ok: Object.values(violations).every((count) => count === 0),
    requests: outcomes.length,
    acknowledged: outcomes.filter((outcome) => outcome.answer).length,
    retried: outcomes.filter((outcome) => outcome.statuses.length > 1).length,
    replayedAfterLostAnswer: outcomes.filter((outcome) => outcome.answer?.replayed).length,
    attemptStatuses,
    stored: { customers: live, mergedAway: profiles.size - live, identifiers: identifierItems.length, touchpoints: touchpoints.length },
    violations,
    unfinishedMerges: { merges: unfinished.length, touchpointsLeftOnSource, cardsAwaitingRecompute },
    examples,
  };
}

/** `503×12,201` rather than twelve 503s. */
function compact(statuses: number[]): string {
  const runs: string[] = [];
  for (let index = 0; index < statuses.length; ) {
    let end = index;
    while (statuses[end + 1] === statuses[index]) end += 1;
    runs.push(end > index ? `${statuses[index]}×${end - index + 1}` : `${statuses[index]}`);
    index = end + 1;
  }
  return runs.join(',');
}

async function scanAll(client: DynamoDBDocumentClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
