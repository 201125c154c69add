import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/db/client.ts';
import { injectDynamoDbFaults } from '../../shared/db/fault-injection.ts';
import { cardKey, mergeSharerKey, profileKey } from '../../shared/db/keys.ts';
import { dynamoPrivacyStore } from '../../shared/db/privacy-store.ts';
import { ConflictError, NotFoundError, StoreUnavailableError, UnknownCustomerError } from '../../shared/domain/errors.ts';
import { linkIdentifier, unlinkIdentifier } from '../../shared/domain/link-identifier.ts';
import { mergeCustomers } from '../../shared/domain/merge-customers.ts';
import { moveTouchpoint } from '../../shared/domain/move-touchpoint.ts';
import { undoMerge } from '../../shared/domain/undo-merge.ts';
import { eraseCustomer } from '../../shared/privacy/erase-customer.ts';
import type { IngestResult } from '../../shared/domain/model.ts';
import { findTraces } from '../helpers/erased-traces.ts';
import { createGraphTable, type GraphStore, type GraphTable, graphStore, identityGraphProblems, scanItems } from '../helpers/identity-graph.ts';
import { detailsFor, ingestCall, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';
import { ingestTouchpoint } from '../../shared/domain/ingest-touchpoint.ts';
import { logger } from '../../shared/observability/logger.ts';
import { touchpointInputSchema } from '../../shared/schemas/touchpoint.ts';

/**
 * Identity writes racing each other, with the interleaving forced at the unlucky moment (a store
 * wrapper runs the other operation to its end right before the first one writes), on DynamoDB Local.
 */
const actor = 'race-test';
let table: GraphTable;

beforeAll(async () => {
  table = await createGraphTable();
});

afterAll(async () => {
  await table?.drop();
});

const ingest = (identifiers: Record<string, string>, store: GraphStore = table.store): Promise<IngestResult> => ingestCall(store, identifiers);
const merge = (store: GraphStore, targetCustomerId: string, sourceCustomerId: string) =>
  mergeCustomers(store, { targetCustomerId, sourceCustomerId, reason: 'race', actor }, new Date());
const link = (customerId: string, identifier: { type: 'phone' | 'email'; value: string }, store: GraphStore = table.store) =>
  linkIdentifier(store, { customerId, identifier, shared: false, actor }, new Date());
const listedKeys = async (customerId: string) => (await table.store.readProfile(customerId))?.identifiers.map(({ type, value }) => `${type}#${value}`).sort();

/** A store whose `replaceProfile` of `customerId` first lets `meanwhile` run to its end, once. */
function interleavedBeforeProfileRewrite(customerId: string, meanwhile: () => Promise<unknown>): GraphStore & { ran: () => boolean } {
  let ran = false;
  return {
    ...table.store,
    replaceProfile: async (id, replacement) => {
      if (id === customerId && !ran && !replacement.revive) {
        ran = true;
        await meanwhile();
      }
      return table.store.replaceProfile(id, replacement);
    },
    ran: () => ran,
  };
}

describe('identifiers linked while a merge or undo rewrites the profile', () => {
  it('keeps an identifier linked to the target while a merge into it recomputes its profile', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const linked = uniqueEmail();
    const store = interleavedBeforeProfileRewrite(target.customerId, () => link(target.customerId, { type: 'email', value: linked }));

    await merge(store, target.customerId, source.customerId);

    expect(store.ran()).toBe(true);
    expect(await listedKeys(target.customerId)).toContain(`email#${linked}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('keeps an identifier linked to the target while an undo recomputes its profile', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const { mergeId } = await merge(table.store, target.customerId, source.customerId);
    const linked = uniquePhone().e164;
    const store = interleavedBeforeProfileRewrite(target.customerId, () => link(target.customerId, { type: 'phone', value: linked }));

    await undoMerge(store, mergeId, actor, new Date());

    expect(store.ran()).toBe(true);
    expect(await listedKeys(target.customerId)).toContain(`phone#${linked}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('keeps an identifier linked to the revived source while the undo recomputes its profile', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const { mergeId } = await merge(table.store, target.customerId, source.customerId);
    const linked = uniqueEmail();
    const store = interleavedBeforeProfileRewrite(source.customerId, () => link(source.customerId, { type: 'email', value: linked }));

    await undoMerge(store, mergeId, actor, new Date());

    expect(store.ran()).toBe(true);
    expect(await listedKeys(source.customerId)).toContain(`email#${linked}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('keeps an identifier a touchpoint attached to the revived source while the undo moved touchpoints back', async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone });
    const { mergeId } = await merge(table.store, target.customerId, source.customerId);
    await ingest({ phone });
    const attached = uniqueEmail();
    let ran = false;
    const store: GraphStore = {
      ...table.store,
      moveTouchpoints: async (moves) => {
        if (!ran) {
          ran = true;
          await ingest({ phone, email: attached });
        }
        return table.store.moveTouchpoints(moves);
      },
    };

    await undoMerge(store, mergeId, actor, new Date());

    expect(ran).toBe(true);
    expect(await ownerOf({ type: 'email', value: attached })).toEqual({ customerId: source.customerId, sharedWith: [] });
    expect(await listedKeys(source.customerId)).toContain(`email#${attached}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('gives back a touchpoint naming the source that the merge sent to the survivor, though its request began before the merge did (PROPS seed 9)', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const { mergeId, createdAt } = await merge(table.store, target.customerId, source.customerId);
    const named = await ingestCall(table.store, { customerId: source.customerId }, 5, new Date(Date.parse(createdAt) - 1_000));
    expect(named.customerId).toBe(target.customerId);

    await undoMerge(table.store, mergeId, actor, new Date());

    expect((await table.store.listTouchpoints(source.customerId)).map(({ touchpointId }) => touchpointId)).toContain(named.touchpointId);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it("gives back a touchpoint carrying only the source's phone that a request begun just before the merge recorded on the survivor (PROPS seed 14)", async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone });
    const { mergeId, createdAt } = await merge(table.store, target.customerId, source.customerId);
    const early = await ingestCall(table.store, { phone }, 5, new Date(Date.parse(createdAt) - 1_000));
    expect(early.customerId).toBe(target.customerId);

    await undoMerge(table.store, mergeId, actor, new Date());

    expect((await table.store.listTouchpoints(source.customerId)).map(({ touchpointId }) => touchpointId)).toContain(early.touchpointId);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('holds the source it revives until it finishes: an erase of it meanwhile answers 409, changing nothing, and goes through after (PROPS seed 6)', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const { mergeId } = await merge(table.store, target.customerId, source.customerId);
    let erasing: Promise<unknown> | undefined;
    const store: GraphStore = {
      ...table.store,
      setIdentifierOwner: async (...args) => {
        erasing ??= erase(source.customerId).catch((error: unknown) => error);
        await erasing;
        return table.store.setIdentifierOwner(...args);
      },
    };

    await expect(undoMerge(store, mergeId, actor, new Date())).resolves.toMatchObject({ status: 'undone' });

    expect(await erasing).toBeInstanceOf(ConflictError);
    expect(await leftHanging([target.customerId, source.customerId])).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
    await expect(erase(source.customerId)).resolves.toMatchObject({ status: 'erased' });
  });

  it('keeps an identifier a touchpoint attached to the target while a merge into it recomputes its profile', async () => {
    const email = uniqueEmail();
    const target = await ingest({ email });
    const source = await ingest({ phone: uniquePhone().e164 });
    const attached = uniquePhone().e164;
    const store = interleavedBeforeProfileRewrite(target.customerId, () => ingest({ email, phone: attached }));

    await merge(store, target.customerId, source.customerId);

    expect(store.ran()).toBe(true);
    expect(await listedKeys(target.customerId)).toContain(`phone#${attached}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });
});

describe('identifiers whose item names a customer that no longer exists', () => {
  const deleteProfile = async (customerId: string) => {
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    // Both of the customer's items, as an erase deletes them.
    for (const key of [profileKey(customerId), cardKey(customerId)]) await client.send(new DeleteCommand({ TableName: table.tableName, Key: key }));
  };

  /** A customer whose profile vanished (as an erase that missed an identifier leaves it) while its phone's item still names it. */
  async function orphanedPhone() {
    const phone = uniquePhone().e164;
    const gone = await ingest({ phone });
    await deleteProfile(gone.customerId);
    return { phone, gone: gone.customerId };
  }

  /** A household phone shared by two customers. */
  async function sharedPhone() {
    const phone = uniquePhone().e164;
    const owner = await ingest({ phone });
    const other = await ingest({ email: uniqueEmail() });
    await linkIdentifier(table.store, { customerId: other.customerId, identifier: { type: 'phone', value: phone }, shared: true, actor }, new Date());
    return { phone, owner: owner.customerId, other: other.customerId };
  }

  it('records a touchpoint carrying only a shared phone whose owner vanished on the customer still sharing it', async () => {
    const { phone, owner, other } = await sharedPhone();
    await deleteProfile(owner);

    const next = await ingest({ phone });

    expect(next.customerId).toBe(other);
  });

  it('records a touchpoint carrying only a shared phone whose customers all vanished on a new customer, who takes it over', async () => {
    const { phone, owner, other } = await sharedPhone();
    await deleteProfile(owner);
    await deleteProfile(other);

    const next = await ingest({ phone });

    expect(next.customerCreated).toBe(true);
    expect(await table.store.findIdentifierOwner({ type: 'phone', value: phone })).toEqual({ customerId: next.customerId, sharedWith: [] });
  });

  it('records a touchpoint carrying only that identifier on a new customer, who takes the identifier over', async () => {
    const { phone, gone } = await orphanedPhone();

    const next = await ingest({ phone });

    expect(next.customerId).not.toBe(gone);
    expect(next.customerCreated).toBe(true);
    expect((await table.store.findIdentifierOwner({ type: 'phone', value: phone }))?.customerId).toBe(next.customerId);
    expect(await listedKeys(next.customerId)).toEqual([`phone#${phone}`]);
  });

  it('records a touchpoint carrying it with a known email on the known customer, who takes the identifier over', async () => {
    const { phone } = await orphanedPhone();
    const email = uniqueEmail();
    const known = await ingest({ email });

    const next = await ingest({ phone, email });

    expect(next.customerId).toBe(known.customerId);
    expect((await table.store.findIdentifierOwner({ type: 'phone', value: phone }))?.customerId).toBe(known.customerId);
    expect(await identityGraphProblems(table.tableName, { customerIds: [known.customerId] })).toEqual([]);
  });

  it('lets the identifier go when it is unlinked from the customer that no longer exists', async () => {
    const { phone, gone } = await orphanedPhone();

    await unlinkIdentifier(table.store, gone, { type: 'phone', value: phone });

    expect(await table.store.findIdentifierOwner({ type: 'phone', value: phone })).toBeUndefined();
    expect(await table.store.readProfile(gone)).toBeUndefined();
  });
});

describe('a merge candidate whose merge is undone', () => {
  it('is listed again, open, when a touchpoint shows the conflict again', async () => {
    const email = uniqueEmail();
    const phone = uniquePhone().e164;
    const a = await ingest({ email });
    const b = await ingest({ phone });
    await ingest({ email, phone });
    const candidateId = [a.customerId, b.customerId].sort().join('.');
    const listed = async () => {
      const items = [];
      let cursor: string | undefined;
      do {
        const page = await table.store.listMergeCandidates({ limit: 100, ...(cursor ? { cursor } : {}) });
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return items.filter((candidate) => candidate.candidateId === candidateId).map((candidate) => candidate.status);
    };
    expect(await listed()).toEqual(['open']);
    const { mergeId } = await merge(table.store, a.customerId, b.customerId);
    expect(await listed()).toEqual([]);

    await undoMerge(table.store, mergeId, actor, new Date());
    const afterUndo = await listed();
    await ingest({ email, phone });

    expect(afterUndo).toEqual([]);
    expect(await listed()).toEqual(['open']);
  });

  it('stays dismissed when staff dismissed it', async () => {
    const email = uniqueEmail();
    const phone = uniquePhone().e164;
    const a = await ingest({ email });
    const b = await ingest({ phone });
    await ingest({ email, phone });
    const customerIds = [a.customerId, b.customerId].sort() as [string, string];
    await table.store.resolveMergeCandidate(customerIds.join('.'), 'dismissed');

    await ingest({ email, phone });

    const items = (await scanItems(table.tableName)).filter((item) => item.entity === 'mergeCandidate' && item.pk === `CAND#${customerIds.join('#')}`);
    expect(items.map((item) => item.status)).toEqual(['dismissed']);
  });
});

describe('fifty first contacts on one new phone at once, without idempotency keys', () => {
  let results: PromiseSettledResult<IngestResult>[];
  let phone: string;
  let elapsedMs: number;
  const transactions = { sent: 0 };

  beforeAll(async () => {
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') transactions.sent += 1;
        return next(args);
      },
      { step: 'initialize', name: 'transaction-counter' },
    );
    const store = graphStore(table.tableName, client);
    phone = uniquePhone().e164;
    const started = Date.now();
    // Two seconds apart, so that commits overtake each other's contact times as a real burst does.
    results = await Promise.allSettled(Array.from({ length: 50 }, (_, index) => ingestCall(store, { phone }, index / 30)));
    elapsedMs = Date.now() - started;
  }, 120_000);

  it('records every one of them on one customer', async () => {
    const succeeded = results.filter((result): result is PromiseFulfilledResult<IngestResult> => result.status === 'fulfilled');
    console.info(`50 first contacts on one phone: ${succeeded.length} recorded in ${elapsedMs} ms with ${transactions.sent} transactions`);

    expect(succeeded).toHaveLength(50);
    expect(new Set(succeeded.map((result) => result.value.customerId)).size).toBe(1);
    const card = (await table.store.readProfile(succeeded[0]?.value.customerId as string))?.card;
    expect(card?.touchpointCount).toBe(50);
    const newest = (await scanItems(table.tableName))
      .filter((item) => item.entity === 'touchpoint' && (item.identifiers as { phone?: string }).phone === phone)
      .map((item) => item.occurredAt as string)
      .sort()
      .at(-1);
    expect(card?.lastContact?.occurredAt).toBe(newest);
  });

  it('stores exactly the touchpoints it acknowledged', async () => {
    const acknowledged = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.touchpointId] : []));
    const stored = (await scanItems(table.tableName)).filter(
      (item) => item.entity === 'touchpoint' && String(item.sk).startsWith('T#') && (item.identifiers as { phone?: string }).phone === phone,
    );

    expect(stored.map((item) => item.touchpointId).sort()).toEqual(acknowledged.sort());
  });
});

describe('an ingest whose write landed but whose answer was lost', () => {
  it('answers with the touchpoint it stored, once, instead of a 503', async () => {
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    // Every transaction is applied and then reported as timed out: the ingest can only learn it landed by looking.
    const faults = injectDynamoDbFaults(client, { rate: 1, kinds: ['lost-response'], commands: ['TransactWriteItemsCommand'] });
    const phone = uniquePhone().e164;

    const result = await ingest({ phone }, graphStore(table.tableName, client));
    faults.detach();

    expect(faults.stats.injected['lost-response']).toBeGreaterThan(0);
    const stored = (await scanItems(table.tableName)).filter((item) => item.entity === 'touchpoint' && item.touchpointId === result.touchpointId);
    expect(stored.map((item) => item.customerId)).toEqual([result.customerId]);
    expect(result.customerCreated).toBe(true);
  });

  it('says the write may have landed when it could not find out', async () => {
    const stuck: GraphStore = {
      ...table.store,
      recordTouchpoint: async () => {
        throw new StoreUnavailableError(undefined, { outcomeUnknown: true });
      },
    };

    const failure = await ingest({ phone: uniquePhone().e164, email: `${unique()}@example.com` }, stuck).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as StoreUnavailableError).message).toMatch(/may have been recorded/);
  });

  it('answers the touchpoint it stored when the read after the lost answer is throttled (PROPS F2, F16)', async () => {
    let writes = 0;
    let reads = 0;
    const store: GraphStore = {
      ...table.store,
      recordTouchpoint: async (write) => {
        await table.store.recordTouchpoint(write);
        writes += 1;
        if (writes === 1) throw new StoreUnavailableError(undefined, { outcomeUnknown: true });
      },
      // The attempt after the lost answer reads first, and DynamoDB throttles that read: nothing it sent was written.
      readForIngest: async (request) => {
        reads += 1;
        if (reads === 2) throw new StoreUnavailableError();
        return table.store.readForIngest(request);
      },
    };

    const result = await ingest({ phone: uniquePhone().e164 }, store);

    expect(reads).toBe(2);
    const stored = (await scanItems(table.tableName)).filter((item) => item.entity === 'touchpoint' && item.touchpointId === result.touchpointId);
    expect(stored.map((item) => item.customerId)).toEqual([result.customerId]);
  });

  it('says the write may have landed when its second write finds it stored but reading where it is gives way', async () => {
    let locates = 0;
    const store: GraphStore = {
      ...table.store,
      recordTouchpoint: async (write) => {
        await table.store.recordTouchpoint(write);
        throw new StoreUnavailableError(undefined, { outcomeUnknown: true });
      },
      // The second write is refused as already recorded; reading where it landed is throttled.
      locateTouchpoint: async () => {
        locates += 1;
        throw new StoreUnavailableError();
      },
    };

    const failure = await ingest({ phone: uniquePhone().e164 }, store).catch((error: unknown) => error);

    expect(locates).toBeGreaterThan(0);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as StoreUnavailableError).message).toMatch(/may have been recorded/);
  });

  it('says the write may have landed when a read after the lost answer gives way and the touchpoint cannot be found', async () => {
    let reads = 0;
    const store: GraphStore = {
      ...table.store,
      recordTouchpoint: async () => {
        throw new StoreUnavailableError(undefined, { outcomeUnknown: true });
      },
      readForIngest: async (request) => {
        reads += 1;
        if (reads >= 2) throw new StoreUnavailableError();
        return table.store.readForIngest(request);
      },
    };

    const failure = await ingest({ phone: uniquePhone().e164 }, store).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as StoreUnavailableError).message).toMatch(/may have been recorded/);
  });
});

describe('the merge history of a customer', () => {
  it('lists every merge when DynamoDB leaves some keys of the batch read unprocessed', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const mergeIds: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const source = await ingest({ phone: uniquePhone().e164 });
      mergeIds.push((await merge(table.store, target.customerId, source.customerId)).mergeId);
    }
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    let throttledOnce = false;
    // The first BatchGetItem is answered for one key only, the others handed back unprocessed (as under throttling).
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { RequestItems: Record<string, { Keys: unknown[] }> };
        const [tableName, request] = Object.entries(input.RequestItems ?? {})[0] ?? [];
        if (context.commandName !== 'BatchGetItemCommand' || throttledOnce || !tableName || !request || request.Keys.length < 2) {
          return next(args);
        }
        throttledOnce = true;
        const [first, ...rest] = request.Keys;
        const output = await next({ ...args, input: { RequestItems: { [tableName]: { ...request, Keys: [first] } } } });
        return { ...output, output: { ...output.output, UnprocessedKeys: { [tableName]: { ...request, Keys: rest } } } as typeof output.output };
      },
      { step: 'initialize', name: 'unprocessed-keys' },
    );

    const records = await graphStore(table.tableName, client).listMergeRecords(target.customerId);

    expect(throttledOnce).toBe(true);
    expect(records.map((record) => record.mergeId).sort()).toEqual([...mergeIds].sort());
  });
});

/**
 * A store whose DynamoDB client lets `meanwhile` run to its end right before the `nth` call of one
 * command (`TransactWriteCommand`, `UpdateCommand`, `GetCommand`...): the other mutation lands
 * between this one's reads and its write, the unlucky moment.
 */
function interleavedBefore(
  commandName: string,
  nth: number,
  meanwhile: () => Promise<unknown>,
): { store: GraphStore; client: DynamoDBDocumentClient; ran: () => boolean } {
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  let seen = 0;
  let ran = false;
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command) => {
    if (!ran && (command as object).constructor.name === commandName && ++seen === nth) {
      ran = true;
      await meanwhile();
    }
    return send(command);
  };
  return { store: graphStore(table.tableName, client), client, ran: () => ran };
}

const erase = (customerId: string) =>
  eraseCustomer(dynamoPrivacyStore(createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' }), table.tableName), customerId, {
    suppress: false,
    actor,
    outOfTime: () => false,
  });
const shareLink = (customerId: string, identifier: { type: 'phone' | 'email'; value: string }, store: GraphStore = table.store) =>
  linkIdentifier(store, { customerId, identifier, shared: true, actor }, new Date());
const ownerOf = async (identifier: { type: 'phone' | 'email'; value: string }) => table.store.findIdentifierOwner(identifier);
/** Merges and undos of these customers not finished, and identity locks still held on them. */
async function leftHanging(customerIds: string[]): Promise<string[]> {
  const items = await scanItems(table.tableName);
  const named = (item: Record<string, unknown>) =>
    customerIds.includes(item.targetCustomerId as string) || customerIds.includes(item.sourceCustomerId as string);
  return [
    ...items
      .filter((item) => item.entity === 'merge' && named(item) && item.status !== 'completed' && item.status !== 'undone')
      .map((item) => `merge ${String(item.mergeId)} is ${String(item.status)}`),
    ...items
      .filter((item) => item.entity === 'customer' && customerIds.includes(item.customerId as string) && item.identityLock !== undefined)
      .map((item) => `customer ${String(item.customerId)} is locked by ${String(item.identityLock)}`),
  ];
}

/** A store whose unlinks wait until `readers` profile reads have been answered. */
function writingOnceAllHaveRead(readers: number): GraphStore {
  let reads = 0;
  let allHaveRead: () => void = () => undefined;
  const barrier = new Promise<void>((resolve) => {
    allHaveRead = resolve;
  });
  return {
    ...table.store,
    readProfile: async (customerId) => {
      const profile = await table.store.readProfile(customerId);
      reads += 1;
      if (reads >= readers) allHaveRead();
      return profile;
    },
    unlinkIdentifier: async (customerId, identifier) => {
      await barrier;
      return table.store.unlinkIdentifier(customerId, identifier);
    },
  };
}

describe('two changes of one identifier at once (PROPS F1, F17)', () => {
  it('answers done to both of two unlinks of one identifier at once', async () => {
    const phone = uniquePhone().e164;
    const customer = await ingest({ email: uniqueEmail(), phone });
    const other = () => unlinkIdentifier(table.store, customer.customerId, { type: 'phone', value: phone });
    const racing = interleavedBefore('TransactWriteCommand', 1, other);

    await expect(unlinkIdentifier(racing.store, customer.customerId, { type: 'phone', value: phone })).resolves.toBeUndefined();

    expect(racing.ran()).toBe(true);
    expect(await ownerOf({ type: 'phone', value: phone })).toBeUndefined();
    expect(await listedKeys(customer.customerId)).not.toContain(`phone#${phone}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [customer.customerId] })).toEqual([]);
  });

  it('answers done to both of two unlinks of one identifier posted at the same moment', async () => {
    const phone = uniquePhone().e164;
    const customer = await ingest({ email: uniqueEmail(), phone });

    // "The same moment" made exact: no unlink writes before all four have read the profile (on a
    // busy machine one would otherwise read after another's write, and answer 404 rightly).
    const unlinks = 4;
    const store = writingOnceAllHaveRead(unlinks);
    const answers = await Promise.allSettled(
      Array.from({ length: unlinks }, () => unlinkIdentifier(store, customer.customerId, { type: 'phone', value: phone })),
    );

    expect(answers.map((answer) => answer.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(await ownerOf({ type: 'phone', value: phone })).toBeUndefined();
    expect(await identityGraphProblems(table.tableName, { customerIds: [customer.customerId] })).toEqual([]);
  });

  it('links an identifier unlinked between the link reading it and writing it, and leaves item and profile agreeing', async () => {
    const phone = uniquePhone().e164;
    const customer = await ingest({ email: uniqueEmail(), phone });
    // The link's first write is refused (the item exists); the unlink lands before it reads the owner
    // (the one GetItem of a link: the profile and its card are read together by a BatchGetItem).
    const racing = interleavedBefore('GetCommand', 1, () => unlinkIdentifier(table.store, customer.customerId, { type: 'phone', value: phone }));

    await link(customer.customerId, { type: 'phone', value: phone }, racing.store);

    expect(racing.ran()).toBe(true);
    expect((await ownerOf({ type: 'phone', value: phone }))?.customerId).toBe(customer.customerId);
    expect(await listedKeys(customer.customerId)).toContain(`phone#${phone}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [customer.customerId] })).toEqual([]);
  });

  it('unlinks an identifier linked again between the unlink reading it and writing it', async () => {
    const phone = uniquePhone().e164;
    const customer = await ingest({ email: uniqueEmail(), phone });
    const racing = interleavedBefore('TransactWriteCommand', 1, () => link(customer.customerId, { type: 'phone', value: phone }));

    await unlinkIdentifier(racing.store, customer.customerId, { type: 'phone', value: phone });

    expect(racing.ran()).toBe(true);
    expect(await ownerOf({ type: 'phone', value: phone })).toBeUndefined();
    expect(await listedKeys(customer.customerId)).not.toContain(`phone#${phone}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [customer.customerId] })).toEqual([]);
  });

  it('leaves item and profile agreeing whatever the outcome of links and unlinks of one identifier posted at once', async () => {
    const phone = uniquePhone().e164;
    const customer = await ingest({ email: uniqueEmail(), phone });

    const answers = await Promise.allSettled(
      Array.from({ length: 6 }, (_, index) =>
        index % 2
          ? link(customer.customerId, { type: 'phone', value: phone })
          : unlinkIdentifier(table.store, customer.customerId, { type: 'phone', value: phone }),
      ),
    );

    const failures = answers.flatMap((answer) => (answer.status === 'rejected' ? [answer.reason] : []));
    expect(failures.filter((reason) => !(reason instanceof NotFoundError))).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: [customer.customerId] })).toEqual([]);
  });
});

describe("a shared link racing a merge of the identifier's owner (PROPS F11)", () => {
  it('moves to the survivor an identifier a link shared between the merge planning it and moving it', async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone });
    const neighbour = await ingest({ email: uniqueEmail() });
    let shared = false;
    const store: GraphStore = {
      ...table.store,
      setIdentifierOwner: async (...args) => {
        if (!shared) {
          shared = true;
          await shareLink(neighbour.customerId, { type: 'phone', value: phone });
        }
        return table.store.setIdentifierOwner(...args);
      },
    };

    await merge(store, target.customerId, source.customerId);

    expect(shared).toBe(true);
    expect(await ownerOf({ type: 'phone', value: phone })).toEqual({ customerId: target.customerId, sharedWith: [neighbour.customerId] });
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId, neighbour.customerId] })).toEqual([]);
  });

  it("moves to the survivor an identifier the survivor itself shared while the merge ran (the model's instance)", async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone });
    let shared = false;
    const store: GraphStore = {
      ...table.store,
      setIdentifierOwner: async (...args) => {
        if (!shared) {
          shared = true;
          await shareLink(target.customerId, { type: 'phone', value: phone });
        }
        return table.store.setIdentifierOwner(...args);
      },
    };

    await merge(store, target.customerId, source.customerId);

    expect(await ownerOf({ type: 'phone', value: phone })).toEqual({ customerId: target.customerId, sharedWith: [] });
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('undoes such a merge back to the sharing the link left', async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone });
    const neighbour = await ingest({ email: uniqueEmail() });
    let shared = false;
    const store: GraphStore = {
      ...table.store,
      setIdentifierOwner: async (...args) => {
        if (!shared) {
          shared = true;
          await shareLink(neighbour.customerId, { type: 'phone', value: phone });
        }
        return table.store.setIdentifierOwner(...args);
      },
    };
    const { mergeId } = await merge(store, target.customerId, source.customerId);

    await undoMerge(table.store, mergeId, actor, new Date());

    expect(await ownerOf({ type: 'phone', value: phone })).toEqual({ customerId: source.customerId, sharedWith: [neighbour.customerId] });
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId, neighbour.customerId] })).toEqual([]);
  });

  it('plans again without a sharer erased between the merge reading the phone and recording its plan: nothing names the sharer', async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone });
    const sharer = await ingest({ email: uniqueEmail() });
    await shareLink(sharer.customerId, { type: 'phone', value: phone });
    let erased = false;
    const store: GraphStore = {
      ...table.store,
      planMergeIdentifiers: async (...args) => {
        if (!erased) {
          erased = true;
          await erase(sharer.customerId);
        }
        return table.store.planMergeIdentifiers(...args);
      },
    };

    const { mergeId } = await merge(store, target.customerId, source.customerId);
    const record = await table.store.readMergeRecord(mergeId);

    expect(erased).toBe(true);
    expect(record?.identifierStates).toEqual([
      {
        identifier: { type: 'phone', value: phone },
        before: { customerId: source.customerId, sharedWith: [] },
        after: { customerId: target.customerId, sharedWith: [] },
      },
    ]);
    expect(JSON.stringify(await scanItems(table.tableName))).not.toContain(sharer.customerId);
    expect(await ownerOf({ type: 'phone', value: phone })).toEqual({ customerId: target.customerId, sharedWith: [] });
  });

  it('an erase of a sharer while the merge that moved its phone is finishing waits for it: the finished record does not name the sharer', async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone });
    const sharer = await ingest({ email: uniqueEmail() });
    await shareLink(sharer.customerId, { type: 'phone', value: phone });
    const pointerGone = async (mergeId: string) => {
      for (let waited = 0; waited < 3_500 && JSON.stringify(await scanItems(table.tableName)).includes(`S#${mergeId}`); waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    let erasing: Promise<unknown> | undefined;
    const store: GraphStore = {
      ...table.store,
      finishMerge: async (mergeId, ...rest) => {
        // Before the merge writes what it applied: the erase runs as far as it will.
        erasing ??= erase(sharer.customerId);
        await pointerGone(mergeId);
        return table.store.finishMerge(mergeId, ...rest);
      },
    };

    const { mergeId } = await merge(store, target.customerId, source.customerId);

    await expect(erasing).resolves.toMatchObject({ status: 'erased' });
    expect(JSON.stringify(await table.store.readMergeRecord(mergeId))).not.toContain(sharer.customerId);
    expect(JSON.stringify(await scanItems(table.tableName))).not.toContain(sharer.customerId);
    expect(await ownerOf({ type: 'phone', value: phone })).toEqual({ customerId: target.customerId, sharedWith: [] });
  });

  it('writes no pointer for a sharer whose erase has begun', async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone });
    const sharer = await ingest({ email: uniqueEmail() });
    await shareLink(sharer.customerId, { type: 'phone', value: phone });
    const { mergeId } = await merge(table.store, target.customerId, source.customerId);
    const record = (await table.store.readMergeRecord(mergeId)) as NonNullable<Awaited<ReturnType<typeof table.store.readMergeRecord>>>;
    expect(JSON.stringify(await scanItems(table.tableName))).toContain(`S#${mergeId}`);
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    await client.send(new DeleteCommand({ TableName: table.tableName, Key: mergeSharerKey(sharer.customerId, mergeId) }));
    await dynamoPrivacyStore(client, table.tableName).markErasing(sharer.customerId, new Date().toISOString());

    // The merge is complete, so the record is not rewritten either.
    await expect(table.store.planMergeIdentifiers(record, { identifierStates: record.identifierStates })).resolves.toBe(false);

    expect(JSON.stringify(await scanItems(table.tableName))).not.toContain(`S#${mergeId}`);
  });

  it('answers a shared link whose owner was merged away between its read and its write with the link on the survivor', async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone });
    const neighbour = await ingest({ email: uniqueEmail() });
    // The link's first write is refused (the item exists); the merge runs before its shared write.
    const racing = interleavedBefore('TransactWriteCommand', 2, () => merge(table.store, target.customerId, source.customerId));

    await shareLink(neighbour.customerId, { type: 'phone', value: phone }, racing.store);

    expect(racing.ran()).toBe(true);
    expect(await ownerOf({ type: 'phone', value: phone })).toEqual({ customerId: target.customerId, sharedWith: [neighbour.customerId] });
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId, neighbour.customerId] })).toEqual([]);
  });
});

describe('an unlink racing a merge (PROPS F23)', () => {
  it('completes a merge whose target lost an identifier to an unlink while the merge recomputed it', async () => {
    const email = uniqueEmail();
    const target = await ingest({ email, phone: uniquePhone().e164 });
    const source = await ingest({ phone: uniquePhone().e164 });
    const store = interleavedBeforeProfileRewrite(target.customerId, () => unlinkIdentifier(table.store, target.customerId, { type: 'email', value: email }));

    await expect(merge(store, target.customerId, source.customerId)).resolves.toMatchObject({ status: 'completed' });

    expect(store.ran()).toBe(true);
    expect(await listedKeys(target.customerId)).not.toContain(`email#${email}`);
    expect(await leftHanging([target.customerId, source.customerId])).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  /** A source with a phone and an email, and a store whose identifier moves wait for an unlink of the phone from it. */
  async function sourceUnlinkingItsPhoneAsItMoves() {
    const phone = uniquePhone().e164;
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone, email: uniqueEmail() });
    // Every identifier's move waits for the unlink (the merge moves them all at once, in no set order).
    let unlinking: Promise<void> | undefined;
    const store: GraphStore = {
      ...table.store,
      setIdentifierOwner: async (...args) => {
        unlinking ??= unlinkIdentifier(table.store, source.customerId, { type: 'phone', value: phone });
        await unlinking;
        return table.store.setIdentifierOwner(...args);
      },
    };
    return { phone, target, source, store };
  }

  it('completes a merge whose source lost an identifier to an unlink between planning and moving it', async () => {
    const { phone, target, source, store } = await sourceUnlinkingItsPhoneAsItMoves();

    await expect(merge(store, target.customerId, source.customerId)).resolves.toMatchObject({ status: 'completed' });

    expect(await ownerOf({ type: 'phone', value: phone })).toBeUndefined();
    expect(await listedKeys(target.customerId)).not.toContain(`phone#${phone}`);
    expect(await leftHanging([target.customerId, source.customerId])).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('leaves out of the record an identifier the source lost before it moved: an undo after staff linked it to the survivor keeps it there', async () => {
    const { phone, target, source, store } = await sourceUnlinkingItsPhoneAsItMoves();
    const { mergeId, movedIdentifiers } = await merge(store, target.customerId, source.customerId);
    await link(target.customerId, { type: 'phone', value: phone });

    await undoMerge(table.store, mergeId, actor, new Date());

    expect(movedIdentifiers.map(({ type }) => type)).toEqual(['email']);
    expect((await table.store.readMergeRecord(mergeId))?.identifierStates.map(({ identifier }) => identifier.type)).toEqual(['email']);
    expect(await ownerOf({ type: 'phone', value: phone })).toEqual({ customerId: target.customerId, sharedWith: [] });
    expect(await listedKeys(target.customerId)).toContain(`phone#${phone}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });
});

describe('erases of both customers of an undone merge at once (PROPS seed 22)', () => {
  it("leaves neither id in the merge record: one erase's redaction is not written over by the other's", async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const { mergeId } = await merge(table.store, target.customerId, source.customerId);
    await undoMerge(table.store, mergeId, actor, new Date());
    const privacy = dynamoPrivacyStore(createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' }), table.tableName);
    let otherErased = false;
    const racing = {
      ...privacy,
      rewriteMergeRecord: async (...args: Parameters<typeof privacy.rewriteMergeRecord>) => {
        if (!otherErased) {
          otherErased = true;
          await erase(source.customerId);
        }
        return privacy.rewriteMergeRecord(...args);
      },
    };

    await eraseCustomer(racing, target.customerId, { suppress: false, actor, outOfTime: () => false });

    expect(otherErased).toBe(true);
    const items = JSON.stringify(await scanItems(table.tableName));
    expect(items).not.toContain(target.customerId);
    expect(items).not.toContain(source.customerId);
  });
});

describe("an erase redacting another customer's card that keeps changing (PROPS seed 17)", () => {
  it('tries the card again until it is redacted, also after the touchpoint was', async () => {
    const phone = uniquePhone().e164;
    const erased = await ingest({ phone });
    const other = await ingest({ email: uniqueEmail() });
    const input = touchpointInputSchema.parse({
      channel: 'call',
      identifiers: { customerId: other.customerId, phone },
      source: 'call-centre',
      summary: `Called back on ${phone}`,
      details: detailsFor('call'),
    });
    await ingestTouchpoint(table.store, input, { receivedAt: new Date(), requestFingerprint: unique(), log: logger });
    const privacy = dynamoPrivacyStore(createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' }), table.tableName);
    // The other customer's card moves on under the first three rewrites, as a busy customer's does.
    let refused = 0;
    const busy = {
      ...privacy,
      rewriteProfileAttributes: async (...args: Parameters<typeof privacy.rewriteProfileAttributes>) =>
        refused++ < 3 ? false : privacy.rewriteProfileAttributes(...args),
    };

    await eraseCustomer(busy, erased.customerId, { suppress: false, actor, outOfTime: () => false });

    expect(refused).toBeGreaterThan(3);
    expect(JSON.stringify(await scanItems(table.tableName))).not.toContain(phone);
  });
});

/** A store whose first touchpoint move first lets `meanwhile` run to its end, keeping what it answered or threw. */
function beforeFirstMove(meanwhile: () => Promise<unknown>): { store: GraphStore; outcome: () => unknown } {
  let ran = false;
  let outcome: unknown;
  const store: GraphStore = {
    ...table.store,
    moveTouchpoints: async (moves) => {
      if (!ran) {
        ran = true;
        outcome = await meanwhile().catch((error: unknown) => error);
      }
      return table.store.moveTouchpoints(moves);
    },
  };
  return { store, outcome: () => outcome };
}

describe('two merges at once in a chain (PROPS F5)', () => {
  it('holds a merge of the target away until the merge into it has finished, then carries everything to the survivor', async () => {
    const survivor = await ingest({ email: uniqueEmail() });
    const middle = await ingest({ phone: uniquePhone().e164 });
    const first = await ingest({ phone: uniquePhone().e164 });
    let later: Promise<unknown> | undefined;
    const store: GraphStore = {
      ...table.store,
      // Once the merge into `middle` has begun, the merge of `middle` away is posted.
      moveTouchpoints: async (moves) => {
        later ??= merge(table.store, survivor.customerId, middle.customerId).catch((error: unknown) => error);
        return table.store.moveTouchpoints(moves);
      },
    };

    await merge(store, middle.customerId, first.customerId);
    const outcome = await later;

    const ids = [survivor.customerId, middle.customerId, first.customerId];
    // Either it waited for the first merge and went through, or it was refused: never both half-way.
    if (outcome instanceof Error) expect(outcome).toBeInstanceOf(ConflictError);
    else expect(outcome).toMatchObject({ status: 'completed' });
    expect(await leftHanging(ids)).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: ids })).toEqual([]);
  });

  it('refuses a merge into a customer being merged away, before writing anything', async () => {
    const survivor = await ingest({ email: uniqueEmail() });
    const middle = await ingest({ phone: uniquePhone().e164 });
    const firstPhone = uniquePhone().e164;
    const first = await ingest({ phone: firstPhone });
    const { store, outcome: refused } = beforeFirstMove(() => merge(table.store, middle.customerId, first.customerId));

    await merge(store, survivor.customerId, middle.customerId);

    expect(refused()).toBeInstanceOf(ConflictError);
    expect((await table.store.readProfile(first.customerId))?.mergedInto).toBeNull();
    expect((await ownerOf({ type: 'phone', value: firstPhone }))?.customerId).toBe(first.customerId);
    const ids = [survivor.customerId, middle.customerId, first.customerId];
    expect(await leftHanging(ids)).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: ids })).toEqual([]);
  });

  it('lets two merges into one target at once both complete, one after the other', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const sources = await Promise.all([ingest({ phone: uniquePhone().e164 }), ingest({ phone: uniquePhone().e164 })]);

    const records = await Promise.all(sources.map((source) => merge(table.store, target.customerId, source.customerId)));

    expect(records.map((record) => record.status)).toEqual(['completed', 'completed']);
    const ids = [target.customerId, ...sources.map((source) => source.customerId)];
    expect(await leftHanging(ids)).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: ids })).toEqual([]);
  });
});

describe('a merge, move or link racing an erase (PROPS F3, F6, F10, F22)', () => {
  const traces = async (needles: string[]) => {
    const items = await scanItems(table.tableName);
    return items.filter((item) => needles.some((needle) => JSON.stringify(item).includes(needle))).map((item) => `${String(item.pk)} ${String(item.sk)}`);
  };

  it('refuses the erase of a customer a merge is bringing another into; erased afterwards, both go (F6)', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const { store, outcome: refused } = beforeFirstMove(() => erase(target.customerId));

    await merge(store, target.customerId, source.customerId);

    expect(refused()).toBeInstanceOf(ConflictError);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
    await expect(erase(target.customerId)).resolves.toMatchObject({ status: 'erased', customerIds: [target.customerId, source.customerId] });
    expect(await traces([target.customerId, source.customerId])).toEqual([]);
  });

  it('refuses the erase of a customer being merged into another (F22)', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const { store, outcome: refused } = beforeFirstMove(() => erase(source.customerId));

    await merge(store, target.customerId, source.customerId);

    expect(refused()).toBeInstanceOf(ConflictError);
    expect(await leftHanging([target.customerId, source.customerId])).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('refuses a merge into a customer erased between the merge reading it and beginning', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const sourcePhone = uniquePhone().e164;
    const source = await ingest({ phone: sourcePhone });
    const racing = interleavedBefore('TransactWriteCommand', 1, () => erase(target.customerId));

    await expect(merge(racing.store, target.customerId, source.customerId)).rejects.toBeInstanceOf(NotFoundError);

    expect(racing.ran()).toBe(true);
    expect((await ownerOf({ type: 'phone', value: sourcePhone }))?.customerId).toBe(source.customerId);
    expect(await traces([target.customerId])).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: [source.customerId] })).toEqual([]);
  });

  it('refuses a move to a customer erased between the move reading it and writing it (F3)', async () => {
    const from = await ingest({ email: uniqueEmail() });
    const to = await ingest({ phone: uniquePhone().e164 });
    const racing = interleavedBefore('TransactWriteCommand', 1, () => erase(to.customerId));

    await expect(
      moveTouchpoint(racing.store, { touchpointId: from.touchpointId, customerId: to.customerId, reason: 'race', actor }, new Date()),
    ).rejects.toBeInstanceOf(NotFoundError);

    expect(racing.ran()).toBe(true);
    expect(await traces([to.customerId])).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: [from.customerId] })).toEqual([]);
  });

  it('refuses a move from a customer erased between the move reading it and writing it', async () => {
    const from = await ingest({ email: uniqueEmail() });
    const to = await ingest({ phone: uniquePhone().e164 });
    const racing = interleavedBefore('TransactWriteCommand', 1, () => erase(from.customerId));

    await expect(
      moveTouchpoint(racing.store, { touchpointId: from.touchpointId, customerId: to.customerId, reason: 'race', actor }, new Date()),
    ).rejects.toBeInstanceOf(NotFoundError);

    expect(await traces([from.customerId, from.touchpointId])).toEqual([]);
    expect(await identityGraphProblems(table.tableName, { customerIds: [to.customerId] })).toEqual([]);
  });

  it('refuses a link to a customer whose erase has begun, and leaves no identifier naming it (F10)', async () => {
    const customer = await ingest({ email: uniqueEmail() });
    const linked = uniqueEmail();
    const privacy = dynamoPrivacyStore(createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' }), table.tableName);
    // The erase has marked the profile when the link writes; it finishes after.
    const racing = interleavedBefore('TransactWriteCommand', 1, () => privacy.markErasing(customer.customerId, new Date().toISOString()));

    await expect(link(customer.customerId, { type: 'email', value: linked }, racing.store)).rejects.toBeInstanceOf(NotFoundError);
    await erase(customer.customerId);

    expect(racing.ran()).toBe(true);
    expect(await ownerOf({ type: 'email', value: linked })).toBeUndefined();
    expect(await traces([customer.customerId, linked])).toEqual([]);
  });
});

describe('a shared link whose owner changed after it was read', () => {
  it('reads the owner again instead of failing with the cancelled transaction (never a 500)', async () => {
    const phone = uniquePhone().e164;
    const owner = await ingest({ phone });
    const sharer = await ingest({ email: uniqueEmail() });
    // The link's second transaction is the shared one (its first, a plain link, finds the phone owned).
    const { store, ran } = interleavedBefore('TransactWriteCommand', 2, () => unlinkIdentifier(table.store, owner.customerId, { type: 'phone', value: phone }));

    await linkIdentifier(store, { customerId: sharer.customerId, identifier: { type: 'phone', value: phone }, shared: true, actor }, new Date());

    expect(ran()).toBe(true);
    expect(await table.store.findIdentifierOwner({ type: 'phone', value: phone })).toMatchObject({ customerId: sharer.customerId });
    expect(await listedKeys(sharer.customerId)).toContain(`phone#${phone}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [owner.customerId, sharer.customerId] })).toEqual([]);
  });
});

describe('an ingest naming a customer whose merge is undone while it runs (found by the model-based test, seed 25)', () => {
  it('lands on the customer it names, not on the survivor, when the undo finishes between the ingest reading and writing', async () => {
    const target = await ingest({ phone: uniquePhone().e164 });
    const source = await ingest({ email: uniqueEmail() });
    const { mergeId } = await merge(table.store, target.customerId, source.customerId);
    let undone = false;
    const store: GraphStore = {
      ...table.store,
      recordTouchpoint: async (write) => {
        if (!undone) {
          undone = true;
          await undoMerge(table.store, mergeId, actor, new Date());
        }
        return table.store.recordTouchpoint(write);
      },
    };

    const result = await ingest({ customerId: source.customerId }, store);

    expect(undone).toBe(true);
    expect(result.customerId).toBe(source.customerId);
    const stored = (await scanItems(table.tableName)).find((item) => item.entity === 'touchpoint' && item.touchpointId === result.touchpointId);
    expect(stored?.customerId).toBe(source.customerId);
    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('still lands on the survivor while the merge stands', async () => {
    const target = await ingest({ phone: uniquePhone().e164 });
    const source = await ingest({ email: uniqueEmail() });
    await merge(table.store, target.customerId, source.customerId);

    const result = await ingest({ customerId: source.customerId });

    expect(result.customerId).toBe(target.customerId);
  });
});

describe('an anonymous profile erased between the touchpoint that joins it to a known customer and their merge', () => {
  const namings: Array<[string, (visitor: { customerId: string; cookie: string }) => Record<string, string>]> = [
    ['naming it by id (PROPS seed 55)', (visitor) => ({ customerId: visitor.customerId })],
    ['carrying its cookie', (visitor) => ({ anonymousId: visitor.cookie })],
  ];
  for (const [naming, identifiersOf] of namings) {
    it(`leaves nothing of it in the touchpoint ${naming}: the touchpoint points the erase to itself`, async () => {
      const cookie = `ck-${unique()}`;
      const visitor = { ...(await ingest({ anonymousId: cookie })), cookie };
      const known = await ingest({ email: uniqueEmail() });
      let erased: Promise<unknown> | undefined;
      const store: GraphStore = {
        ...table.store,
        recordTouchpoint: async (write) => {
          await table.store.recordTouchpoint(write);
          erased ??= erase(visitor.customerId);
          await erased;
        },
      };

      const result = await ingest({ ...identifiersOf(visitor), email: (await table.store.readProfile(known.customerId))?.identifiers[0]?.value ?? '' }, store);

      expect(result.customerId).toBe(known.customerId);
      await expect(erased).resolves.toMatchObject({ status: 'erased' });
      expect(findTraces(await scanItems(table.tableName), [visitor.customerId, cookie])).toEqual([]);
      expect(await identityGraphProblems(table.tableName, { customerIds: [known.customerId] })).toEqual([]);
    });
  }

  it('refuses a touchpoint naming it by id once its erase has begun, storing nothing naming it', async () => {
    const visitor = await ingest({ anonymousId: `ck-${unique()}` });
    const email = uniqueEmail();
    await ingest({ email });
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    let marked = false;
    // The erase begins between the ingest's read and its write.
    const store: GraphStore = {
      ...table.store,
      recordTouchpoint: async (write) => {
        if (!marked) await dynamoPrivacyStore(client, table.tableName).markErasing(visitor.customerId, new Date().toISOString());
        marked = true;
        return table.store.recordTouchpoint(write);
      },
    };

    await expect(ingest({ customerId: visitor.customerId, email }, store)).rejects.toBeInstanceOf(UnknownCustomerError);

    expect(await erase(visitor.customerId)).toMatchObject({ status: 'erased' });
    expect(findTraces(await scanItems(table.tableName), [visitor.customerId])).toEqual([]);
  });
});
