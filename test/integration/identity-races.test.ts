import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/db/client.ts';
import { injectDynamoDbFaults } from '../../shared/db/fault-injection.ts';
import { profileKey } from '../../shared/db/keys.ts';
import { StoreUnavailableError } from '../../shared/domain/errors.ts';
import { linkIdentifier, mergeCustomers, undoMerge, unlinkIdentifier } from '../../shared/domain/identity.ts';
import type { IngestResult } from '../../shared/domain/model.ts';
import { createGraphTable, type GraphStore, type GraphTable, graphStore, identityGraphProblems, scanItems } from '../helpers/identity-graph.ts';
import { ingestCall, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

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

const ingest = (identifiers: Record<string, string>, store: GraphStore = table.store): Promise<IngestResult> =>
  ingestCall(store, identifiers);
const merge = (store: GraphStore, targetCustomerId: string, sourceCustomerId: string) =>
  mergeCustomers(store, { targetCustomerId, sourceCustomerId, reason: 'race', actor }, new Date());
const link = (customerId: string, identifier: { type: 'phone' | 'email'; value: string }, store: GraphStore = table.store) =>
  linkIdentifier(store, { customerId, identifier, shared: false, actor }, new Date());
const listedKeys = async (customerId: string) =>
  (await table.store.readProfile(customerId))?.identifiers.map(({ type, value }) => `${type}#${value}`).sort();

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
    await client.send(new DeleteCommand({ TableName: table.tableName, Key: profileKey(customerId) }));
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

/** A store whose first shared-link transaction (the one adding to `sharedWith`) first lets `meanwhile` run to its end. */
function interleavedBeforeSharedLink(meanwhile: () => Promise<unknown>): GraphStore {
  const client = createDocumentClient({ region: 'local', endpoint: process.env.DYNAMODB_ENDPOINT as string });
  let ran = false;
  const send = async (command: { input?: { TransactItems?: Array<{ Update?: { UpdateExpression?: string } }> } }) => {
    const addsSharer = command.input?.TransactItems?.some((item) => item.Update?.UpdateExpression?.includes('sharedWith = list_append'));
    if (addsSharer && !ran) {
      ran = true;
      await meanwhile();
    }
    return (client.send as (command: unknown) => Promise<unknown>)(command);
  };
  return graphStore(table.tableName, new Proxy(client, { get: (target, name) => (name === 'send' ? send : Reflect.get(target, name)) }));
}

describe('a shared link whose owner changed after it was read', () => {
  it('reads the owner again instead of failing with the cancelled transaction (never a 500)', async () => {
    const phone = uniquePhone().e164;
    const owner = await ingest({ phone });
    const sharer = await ingest({ email: uniqueEmail() });
    const store = interleavedBeforeSharedLink(() => unlinkIdentifier(table.store, owner.customerId, { type: 'phone', value: phone }));

    await linkIdentifier(store, { customerId: sharer.customerId, identifier: { type: 'phone', value: phone }, shared: true, actor }, new Date());

    expect(await table.store.findIdentifierOwner({ type: 'phone', value: phone })).toMatchObject({ customerId: sharer.customerId });
    expect(await listedKeys(sharer.customerId)).toContain(`phone#${phone}`);
    expect(await identityGraphProblems(table.tableName, { customerIds: [owner.customerId, sharer.customerId] })).toEqual([]);
  });
});
