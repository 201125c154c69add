/**
 * Seeds the benchmark's customer base fast without inventing item shapes: every touchpoint goes
 * through the real store's `recordTouchpoint`, on a client whose TransactWriteItems calls are
 * captured instead of sent; the captured items are then written with BatchWriteItem, 25 at a time
 * and many batches at once. Per customer, its newest touchpoint is recorded as a first contact
 * (which gives the profile and the card, folded over all its touchpoints by the domain's own
 * card logic, and every identifier item) and the others as touchpoints of a known customer (their
 * card updates are dropped: the card already holds the final card).
 */
import { type DynamoDBDocumentClient, GetCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../shared/db/client.ts';
import { dynamoCustomerStore } from '../../shared/db/dynamo-customer-store.ts';
import { cardKey, identifierItemKey, type Key, profileKey } from '../../shared/db/keys.ts';
import { applyDelta, cardDelta, emptyCard } from '../../shared/domain/card.ts';
import type { TouchpointWrite } from '../../shared/domain/customer-store.ts';
import { fingerprint } from '../../shared/domain/fingerprint.ts';
import { identifierKey, toIdentifierList } from '../../shared/domain/identifiers.ts';
import { newCustomerId, newTouchpointId } from '../../shared/domain/ids.ts';
import type { AttachedIdentifier, Touchpoint } from '../../shared/domain/model.ts';
import { seededRandom } from '../../shared/db/fault-injection.ts';
import { type TouchpointInput, touchpointInputSchema } from '../../shared/schemas/touchpoint.ts';
import { batchWriter } from './batch-writer.ts';
import { identityOf, type SeededCustomer, seedChannel, signUpFor, type TouchpointBody, touchpointCounts, touchpointFor } from './data-set.ts';
import { progress } from './progress.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface SeedOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  customers: number;
  touchpoints: number;
  seed: number;
  /** BatchWriteItem calls in flight. */
  concurrency?: number;
}

export interface SeedResult {
  customers: SeededCustomer[];
  items: number;
  seconds: number;
}

const dayMs = 24 * 60 * 60 * 1000;

export async function seedDataSet(options: SeedOptions): Promise<SeedResult> {
  const startedAt = performance.now();
  const random = seededRandom(options.seed);
  const counts = touchpointCounts(random, options.customers, options.touchpoints);
  const captured: TransactItem[][] = [];
  const store = dynamoCustomerStore(capturingClient(captured), options.tableName);
  const writer = batchWriter(options.client, options.tableName, { concurrency: options.concurrency ?? 12 });
  const seededAt = new Date();
  const now = seededAt.getTime();
  const customers: SeededCustomer[] = [];
  const bar = progress('seeding touchpoints', options.touchpoints);
  let touchpointsDone = 0;
  let validationCount = 0;

  for (let index = 0; index < options.customers; index += 1) {
    const identity = identityOf(index);
    const count = counts[index] as number;
    const customerId = newCustomerId();
    const occurredTimes = Array.from({ length: count }, () => now - Math.floor(random() * 365 * dayMs) - 60 * 60 * 1000).sort((a, b) => a - b);
    const touchpoints = occurredTimes.map((occurredMs, position) => {
      const context = { random, serial: `${index}-${position}`, occurredAt: new Date(occurredMs).toISOString() };
      const input = validated(position === 0 ? signUpFor(identity, context) : touchpointFor(identity, seedChannel(random), context), validationCount++);
      const touchpoint: Touchpoint = {
        touchpointId: newTouchpointId(),
        customerId,
        channel: input.channel,
        occurredAt: new Date(occurredMs).toISOString(),
        receivedAt: new Date(occurredMs + Math.floor(random() * 5_000)).toISOString(),
        source: input.source,
        identifiers: input.identifiers,
        summary: input.summary ?? null,
        details: input.details,
        ...(input.value === undefined ? {} : { value: input.value }),
      };
      return touchpoint;
    });

    const attach = new Map<string, AttachedIdentifier>();
    touchpoints.forEach((touchpoint, position) => {
      for (const identifier of toIdentifierList(touchpoint.identifiers)) {
        if (identifier.type === 'customerId' || attach.has(identifierKey(identifier))) continue;
        attach.set(identifierKey(identifier), {
          ...identifier,
          provenance: {
            attachedAt: touchpoint.receivedAt,
            source: touchpoint.source,
            touchpointId: touchpoint.touchpointId,
            rule: position === 0 ? 'first-contact' : 'seen-with-known-identifier',
          },
        });
      }
    });

    // The card as the domain computes it, touchpoint after touchpoint: the profile is written once, with it.
    const card = touchpoints.reduce((current, touchpoint) => applyDelta(current, cardDelta(touchpoint), seededAt), emptyCard());
    const newest = touchpoints[touchpoints.length - 1] as Touchpoint;
    const writes: TouchpointWrite[] = touchpoints.map((touchpoint) =>
      touchpoint === newest
        ? {
            touchpoint,
            customer: { kind: 'new', createdAt: (touchpoints[0] as Touchpoint).receivedAt, card },
            attach: [...attach.values()],
            mergeCandidates: [],
          }
        : { touchpoint, customer: { kind: 'exact', card, expectedVersion: 0 }, attach: [], mergeCandidates: [] },
    );

    for (const write of writes) {
      captured.length = 0;
      await store.recordTouchpoint(write);
      for (const item of captured.flat()) {
        const put = toSeedItem(item, customerId);
        if (put !== undefined) await writer.put(put);
      }
    }
    touchpointsDone += count;
    customers.push({ ...identity, customerId, touchpointCount: count });
    bar.update(touchpointsDone);
  }
  await writer.flush();
  bar.done(`${writer.written.toLocaleString('en-GB')} items`);
  await verifySample(options, customers, random);
  return { customers, items: writer.written, seconds: (performance.now() - startedAt) / 1000 };
}

/**
 * The generator already writes normalised values (E.164 phones, lower-case emails), so the schema
 * is run on the first bodies and then on one in 25 (parsing is most of the seeding CPU): a body
 * the schema rejects or would change stops the run.
 */
function validated(body: TouchpointBody, count: number): TouchpointInput {
  if (count >= 2_000 && count % 25 !== 0) return body as TouchpointInput;
  const input = touchpointInputSchema.parse(body);
  if (fingerprint(input) !== fingerprint(body)) {
    throw new Error(`The seed generator wrote a body the API would normalise differently: ${JSON.stringify(body)}`);
  }
  return input;
}

/** A client whose TransactWriteItems calls are recorded and answered as if they succeeded. */
function capturingClient(captured: TransactItem[][]): DynamoDBDocumentClient {
  // The endpoint is never contacted: the middleware answers before the request is built.
  const client = createDocumentClient({ endpoint: 'http://127.0.0.1:9', region: 'local' });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') {
        throw new Error(`Seeding only captures TransactWriteItems, not ${context.commandName}`);
      }
      captured.push((args.input as TransactWriteCommandInput).TransactItems ?? []);
      return { output: { $metadata: {} }, response: {} } as never;
    },
    { step: 'initialize', priority: 'high', name: 'seed-capture' },
  );
  return client;
}

/** The item to put for one transaction item; a known customer's card (or profile) update is folded into the items put first. */
function toSeedItem(item: TransactItem, customerId: string): Record<string, unknown> | undefined {
  if (item.Put?.Item) return { ...item.Put.Item };
  if (item.Update && [cardKey(customerId), profileKey(customerId)].some((key) => sameKey(item.Update?.Key as Key, key))) return undefined;
  if (item.ConditionCheck) return undefined;
  throw new Error(`Seeding cannot turn this transaction item into a put: ${JSON.stringify(item).slice(0, 200)}`);
}

function sameKey(item: Record<string, unknown> | Key, key: Key): boolean {
  return item.pk === key.pk && item.sk === key.sk;
}

/** Reads a sample back through the real store: a seeding shortcut that drifted from the store's shapes fails here, loudly. */
async function verifySample(options: SeedOptions, customers: SeededCustomer[], random: () => number): Promise<void> {
  const store = dynamoCustomerStore(options.client, options.tableName);
  for (let sample = 0; sample < Math.min(25, customers.length); sample += 1) {
    const customer = customers[Math.floor(random() * customers.length)] as SeededCustomer;
    const identifier = await options.client.send(
      new GetCommand({ TableName: options.tableName, Key: identifierItemKey({ type: 'phone', value: customer.phone }), ConsistentRead: true }),
    );
    const owner = identifier.Item?.customerId;
    const view = await store.getCustomerView(customer.customerId, 10);
    const recent = view?.recent ?? [];
    const newestFirst = recent.every((touchpoint, index) => index === 0 || (recent[index - 1] as Touchpoint).occurredAt >= touchpoint.occurredAt);
    if (
      owner !== customer.customerId ||
      view?.customer.card.touchpointCount !== customer.touchpointCount ||
      recent.length !== Math.min(10, customer.touchpointCount) ||
      !newestFirst
    ) {
      throw new Error(
        `Seeded customer ${customer.customerId} does not read back as seeded (owner ${owner}, ${view?.customer.card.touchpointCount} touchpoints on its card)`,
      );
    }
  }
}
