import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/db/client.ts';
import { injectDynamoDbFaults, seededRandom } from '../../shared/db/fault-injection.ts';
import { mergeRecordKey, profileKey } from '../../shared/db/keys.ts';
import { ConflictError, StoreUnavailableError } from '../../shared/domain/errors.ts';
import { linkIdentifier, unlinkIdentifier } from '../../shared/domain/link-identifier.ts';
import { dismissMergeCandidate } from '../../shared/domain/merge-candidates.ts';
import { finishInterruptedMerges, mergeCustomers, mergeCutShortAfterMs } from '../../shared/domain/merge-customers.ts';
import { moveTouchpoint } from '../../shared/domain/move-touchpoint.ts';
import { undoMerge } from '../../shared/domain/undo-merge.ts';
import type { MergeRecord } from '../../shared/domain/identity-store.ts';
import type { IngestResult } from '../../shared/domain/model.ts';
import { createGraphTable, customerViews, type GraphStore, type GraphTable, graphStore, identityGraphProblems, scanItems } from '../helpers/identity-graph.ts';
import { ingestCall, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * Every identity mutation under a 20 % injected DynamoDB fault rate (all kinds, lost responses
 * included), retried by its caller on 503 as a client would: it must succeed in a few tries, never
 * answer a conflict or a 500 on a retry, leave the graph sound, and leave exactly what the same
 * mutation leaves without faults. Then the cases where the first try committed and its answer was
 * lost (the process died right after), and an undo cut short.
 */
const actor = 'fault-test';
const faultRate = 0.2;
/** A caller retrying a 503 this many times at most; the mutations resume, so far fewer are needed. */
const maxClientTries = 10;
let table: GraphTable;
const triesByOperation: Record<string, number[]> = {};
const injected = { calls: 0, faults: 0 };

beforeAll(async () => {
  table = await createGraphTable();
});

afterAll(async () => {
  console.info(
    `Client tries per mutation at a ${faultRate * 100} % fault rate: ${JSON.stringify(triesByOperation)} ` +
      `(${injected.faults} faults injected in ${injected.calls} DynamoDB calls)`,
  );
  await table?.drop();
});

/** The application's stores on a client of their own whose calls fail at the fault rate. */
function faultyStore(seed: number): GraphStore & { detach(): void } {
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
  const faults = injectDynamoDbFaults(client, { rate: faultRate, random: seededRandom(seed) });
  return {
    ...graphStore(table.tableName, client),
    detach: () => {
      faults.detach();
      injected.calls += faults.stats.calls;
      injected.faults += Object.values(faults.stats.injected).reduce((sum, count) => sum + count, 0);
    },
  };
}

/** Retries a 503 as a client would; anything else (a conflict on a retry, a 500) fails the test. */
async function untilItSucceeds<T>(operation: string, run: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      const value = await run();
      triesByOperation[operation] = [...(triesByOperation[operation] ?? []), tries];
      return value;
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || tries >= maxClientTries) throw error;
    }
  }
}

const ingest = (identifiers: Record<string, string>, minutesBefore = 30): Promise<IngestResult> => ingestCall(table.store, identifiers, minutesBefore);

/** Two customers with a few touchpoints each; the source also has a shared-with-nobody email and a cookie. */
async function arrangePair() {
  const email = uniqueEmail();
  const phone = uniquePhone().e164;
  const sourceEmail = uniqueEmail();
  const target = await ingest({ email }, 50);
  await ingest({ email }, 40);
  const source = await ingest({ phone }, 45);
  await ingest({ phone, email: sourceEmail }, 35);
  const anonymousId = `anon-${unique()}`;
  await ingest({ phone, anonymousId }, 25);
  return { target: target.customerId, source: source.customerId, email, phone, sourceEmail, anonymousId, sourceTouchpoint: source.touchpointId };
}

type Pair = Awaited<ReturnType<typeof arrangePair>>;

/**
 * What staff see of these customers, with everything that differs between two runs of the same
 * scenario replaced: the pair's ids and identifier values by their roles, other ids by order of
 * first appearance, instants by a placeholder; lists of identifiers (and their states) sorted: a map keeps no order.
 */
async function seen(pair: Pair, customerIds: string[], extra: unknown = null): Promise<unknown> {
  const views = [];
  for (const customerId of customerIds) views.push(await customerViews(table.store, customerId));
  const names = new Map<string, string>(
    Object.entries(pair)
      .filter(([role]) => role !== 'sourceTouchpoint')
      .map(([role, value]) => [value, `<${role}>`]),
  );
  const text = JSON.stringify({ views, extra }).replace(
    /\d{4}-\d\d-\d\dT[\d:.]+Z|(?:cus|tp|mrg)_[0-9A-Z]{26}|customer\.[0-9a-f]{12}@example\.com|\+44\d{10}|anon-[0-9a-f]{12}/g,
    (value) => {
      if (/^\d{4}-/.test(value)) return 'instant';
      if (!names.has(value)) names.set(value, `<${value.slice(0, 3)}${names.size}>`);
      return names.get(value) as string;
    },
  );
  const sortIdentifierLists = (value: unknown): unknown => {
    if (!Array.isArray(value)) {
      return value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, sortIdentifierLists(inner)])) : value;
    }
    const items = value.map(sortIdentifierLists);
    const identifiers = items.every((item) => item && typeof item === 'object' && (('type' in item && 'value' in item) || 'identifier' in item));
    return identifiers ? items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) : items;
  };
  return sortIdentifierLists(JSON.parse(text));
}

const mergeRequest = (pair: Pair) => ({ targetCustomerId: pair.target, sourceCustomerId: pair.source, reason: 'same person', actor });
const recordShape = (record: MergeRecord) => {
  const { mergeId: _m, createdAt: _c, completedAt: _d, undoneAt: _u, undoStartedAt: _s, ...rest } = record;
  return rest;
};

describe.each([1, 2, 3])('each identity mutation at a 20 percent fault rate (seed %i)', (seed) => {
  it('merges as without faults', async () => {
    const [calm, stormy] = [await arrangePair(), await arrangePair()];
    const expected = recordShape(await mergeCustomers(table.store, mergeRequest(calm), new Date()));
    const faulty = faultyStore(seed);

    const record = await untilItSucceeds('merge', () => mergeCustomers(faulty, mergeRequest(stormy), new Date()));
    faulty.detach();

    expect(await identityGraphProblems(table.tableName, { customerIds: [stormy.target, stormy.source] })).toEqual([]);
    expect(await seen(stormy, [stormy.target], recordShape(record))).toEqual(await seen(calm, [calm.target], expected));
  });

  it('undoes a merge as without faults', async () => {
    const [calm, stormy] = [await arrangePair(), await arrangePair()];
    const calmMerge = await mergeCustomers(table.store, mergeRequest(calm), new Date());
    const stormyMerge = await mergeCustomers(table.store, mergeRequest(stormy), new Date());
    const expected = recordShape(await undoMerge(table.store, calmMerge.mergeId, actor, new Date()));
    const faulty = faultyStore(seed + 100);

    const record = await untilItSucceeds('undo', () => undoMerge(faulty, stormyMerge.mergeId, actor, new Date()));
    faulty.detach();

    expect(await identityGraphProblems(table.tableName, { customerIds: [stormy.target, stormy.source] })).toEqual([]);
    expect(await seen(stormy, [stormy.target, stormy.source], recordShape(record))).toEqual(await seen(calm, [calm.target, calm.source], expected));
    // The lock is released: the survivor can be merged again.
    expect((await scanItems(table.tableName)).find((item) => item.customerId === stormy.target && item.entity === 'customer')).not.toHaveProperty(
      'identityLock',
    );
  });

  it('moves a touchpoint as without faults', async () => {
    const [calm, stormy] = [await arrangePair(), await arrangePair()];
    const move = (pair: Pair) => ({ touchpointId: pair.sourceTouchpoint, customerId: pair.target, reason: 'her husband', actor });
    const expected = recordShape(await moveTouchpoint(table.store, move(calm), new Date()));
    const faulty = faultyStore(seed + 200);

    const record = await untilItSucceeds('move', () => moveTouchpoint(faulty, move(stormy), new Date()));
    faulty.detach();

    expect(await identityGraphProblems(table.tableName, { customerIds: [stormy.target, stormy.source] })).toEqual([]);
    expect(await seen(stormy, [stormy.target, stormy.source], recordShape(record))).toEqual(await seen(calm, [calm.target, calm.source], expected));
  });

  it('links an identifier, alone and shared, as without faults', async () => {
    const [calm, stormy] = [await arrangePair(), await arrangePair()];
    const links = (pair: Pair, phone: string) => [
      { customerId: pair.target, identifier: { type: 'phone' as const, value: phone }, shared: false, actor },
      { customerId: pair.target, identifier: { type: 'email' as const, value: pair.sourceEmail }, shared: true, actor },
    ];
    const now = new Date();
    for (const request of links(calm, uniquePhone().e164)) await linkIdentifier(table.store, request, now);
    const faulty = faultyStore(seed + 300);

    for (const request of links(stormy, uniquePhone().e164)) await untilItSucceeds('link', () => linkIdentifier(faulty, request, now));
    faulty.detach();

    expect(await identityGraphProblems(table.tableName, { customerIds: [stormy.target, stormy.source] })).toEqual([]);
    expect(await seen(stormy, [stormy.target, stormy.source])).toEqual(await seen(calm, [calm.target, calm.source]));
  });

  it('unlinks an identifier as without faults', async () => {
    const [calm, stormy] = [await arrangePair(), await arrangePair()];
    await unlinkIdentifier(table.store, calm.source, { type: 'email', value: calm.sourceEmail });
    const faulty = faultyStore(seed + 400);

    await untilItSucceeds('unlink', () => unlinkIdentifier(faulty, stormy.source, { type: 'email', value: stormy.sourceEmail }));
    faulty.detach();

    expect(await identityGraphProblems(table.tableName, { customerIds: [stormy.source] })).toEqual([]);
    expect(await seen(stormy, [stormy.source])).toEqual(await seen(calm, [calm.source]));
  });

  it('dismisses a merge candidate as without faults', async () => {
    const pair = await arrangePair();
    await ingest({ email: pair.email, phone: pair.phone }, 5);
    const candidateId = [pair.target, pair.source].sort().join('.');
    const faulty = faultyStore(seed + 500);

    await untilItSucceeds('dismiss', () => dismissMergeCandidate(faulty, candidateId));
    faulty.detach();

    const candidate = (await scanItems(table.tableName)).find(
      (item) => item.entity === 'mergeCandidate' && item.pk === `CAND#${candidateId.replace('.', '#')}`,
    );
    expect(candidate?.status).toBe('dismissed');
  });
});

describe('a merge and undo of a customer with 30 touchpoints (two move transactions each way) at a 20 percent fault rate', () => {
  async function arrangeLargePair() {
    const pair = await arrangePair();
    for (let index = 0; index < 27; index += 1) await ingest({ phone: pair.phone }, 20 - index * 0.5);
    return pair;
  }

  it('merges and undoes as without faults, in few tries', async () => {
    const [calm, stormy] = [await arrangeLargePair(), await arrangeLargePair()];
    const calmMerge = recordShape(await mergeCustomers(table.store, mergeRequest(calm), new Date()));
    const calmAfterMerge = await seen(calm, [calm.target], calmMerge);
    const faulty = faultyStore(77);

    const stormyMerge = await untilItSucceeds('merge', () => mergeCustomers(faulty, mergeRequest(stormy), new Date()));
    const stormyAfterMerge = await seen(stormy, [stormy.target], recordShape(stormyMerge));
    const calmUndo = recordShape(await undoMerge(table.store, (await table.store.readProfile(calm.source))?.mergedBy as string, actor, new Date()));
    const stormyUndo = await untilItSucceeds('undo', () => undoMerge(faulty, stormyMerge.mergeId, actor, new Date()));
    faulty.detach();

    expect(stormyAfterMerge).toEqual(calmAfterMerge);
    expect(await identityGraphProblems(table.tableName, { customerIds: [stormy.target, stormy.source] })).toEqual([]);
    expect(await seen(stormy, [stormy.target, stormy.source], recordShape(stormyUndo))).toEqual(await seen(calm, [calm.target, calm.source], calmUndo));
  });
});

it('needs few tries: no mutation took more than three at a 20 % fault rate', () => {
  expect(Object.keys(triesByOperation).sort()).toEqual(['dismiss', 'link', 'merge', 'move', 'undo', 'unlink']);
  expect(Math.max(...Object.values(triesByOperation).flat())).toBeLessThanOrEqual(3);
});

it('says a merge that gave way part-way may be partly made and resumes when posted again', async () => {
  const pair = await arrangePair();
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
  // The merge begins, then every write of its touchpoint moves times out without being applied.
  const faults = injectDynamoDbFaults(client, { rate: 1, kinds: ['timeout'], commands: ['TransactWriteItemsCommand'] });
  const stalled: GraphStore = { ...graphStore(table.tableName, client), beginMerge: table.store.beginMerge };

  const failure = await mergeCustomers(stalled, mergeRequest(pair), new Date()).catch((error: unknown) => error);
  faults.detach();

  expect(failure).toBeInstanceOf(StoreUnavailableError);
  expect((failure as Error).message).toMatch(/may be partly made.*resumes where it stopped/);
  await expect(mergeCustomers(table.store, mergeRequest(pair), new Date())).resolves.toMatchObject({ status: 'completed' });
  expect(await identityGraphProblems(table.tableName, { customerIds: [pair.target, pair.source] })).toEqual([]);
});

/** The real store, except that the first call of `method` loses its answer (a timeout) right after it went through. */
function losesFirstAnswer<K extends keyof GraphStore>(method: K): GraphStore {
  const real = table.store[method] as (...args: unknown[]) => Promise<unknown>;
  let lost = false;
  return {
    ...table.store,
    [method]: async (...args: unknown[]) => {
      const answer = await real(...args);
      if (lost) return answer;
      lost = true;
      throw new StoreUnavailableError(undefined, { outcomeUnknown: true, cause: new Error('socket timed out') });
    },
  };
}

describe('a mutation whose first try committed and whose answer was lost', () => {
  it('answers an undo with the undone merge, not a conflict', async () => {
    const pair = await arrangePair();
    const merged = await mergeCustomers(table.store, mergeRequest(pair), new Date());
    await expect(undoMerge(losesFirstAnswer('finishUndo'), merged.mergeId, actor, new Date())).resolves.toMatchObject({ status: 'undone' });

    const retry = await undoMerge(table.store, merged.mergeId, actor, new Date());

    expect(retry).toEqual(await table.store.readMergeRecord(merged.mergeId));
    expect(retry.status).toBe('undone');
  });

  it('answers a merge with the finished merge', async () => {
    const pair = await arrangePair();
    const first = await mergeCustomers(losesFirstAnswer('finishMerge'), mergeRequest(pair), new Date()).catch(() => undefined);

    const retry = await mergeCustomers(table.store, mergeRequest(pair), new Date());

    expect(retry.status).toBe('completed');
    expect(retry.mergeId).toBe((await table.store.readProfile(pair.source))?.mergedBy);
    if (first) expect(retry.mergeId).toBe(first.mergeId);
  });

  it('answers a move with the move that did it', async () => {
    const pair = await arrangePair();
    const request = { touchpointId: pair.sourceTouchpoint, customerId: pair.target, reason: 'her husband', actor };
    const first = await moveTouchpoint(losesFirstAnswer('moveTouchpoint'), request, new Date());

    const retry = await moveTouchpoint(table.store, request, new Date());

    expect(retry).toEqual(first);
    expect((await table.store.readMergeRecord(first.mergeId))?.touchpointId).toBe(pair.sourceTouchpoint);
  });

  it('answers a link with the link as first made', async () => {
    const pair = await arrangePair();
    const request = { customerId: pair.target, identifier: { type: 'phone' as const, value: uniquePhone().e164 }, shared: false, actor };
    const first = await linkIdentifier(losesFirstAnswer('linkIdentifier'), request, new Date(Date.now() - 60_000));

    const retry = await linkIdentifier(table.store, request, new Date());

    expect(retry).toEqual(first);
  });

  it('answers an unlink whose answer was lost as done; posted again later, 404 with nothing changed (DELETE is idempotent in effect)', async () => {
    const pair = await arrangePair();
    const identifier = { type: 'email' as const, value: pair.sourceEmail };
    await unlinkIdentifier(losesFirstAnswer('unlinkIdentifier'), pair.source, identifier);
    const before = await seen(pair, [pair.source]);

    await expect(unlinkIdentifier(table.store, pair.source, identifier)).rejects.toThrow(/has no such email/);

    expect(await table.store.findIdentifierOwner(identifier)).toBeUndefined();
    expect(await seen(pair, [pair.source])).toEqual(before);
  });
});

describe('an undo cut short (its process killed after it took the lock)', () => {
  let pair: Pair;
  let mergeId: string;

  beforeAll(async () => {
    pair = await arrangePair();
    ({ mergeId } = await mergeCustomers(table.store, mergeRequest(pair), new Date()));
    const dying: GraphStore = {
      ...table.store,
      moveTouchpoints: async () => {
        throw new Error('process killed');
      },
    };
    await expect(undoMerge(dying, mergeId, actor, new Date(Date.now() - mergeCutShortAfterMs - 1000))).rejects.toThrow('process killed');
  });

  it('holds the survivor: a merge into it is refused with a conflict meanwhile', async () => {
    const third = await ingest({ accountId: `ACC-${unique()}` });

    const refusal = await mergeCustomers(
      table.store,
      { targetCustomerId: third.customerId, sourceCustomerId: pair.target, reason: 'while undoing', actor },
      new Date(),
    ).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(ConflictError);
  });

  it('is finished by the scheduled job without staff action, releasing the lock', async () => {
    const report = await finishInterruptedMerges(table.store, new Date());

    expect(report).toEqual({ finished: [mergeId], failed: [] });
    expect((await table.store.readMergeRecord(mergeId))?.status).toBe('undone');
    expect((await table.store.findIdentifierOwner({ type: 'phone', value: pair.phone }))?.customerId).toBe(pair.source);
    expect(await identityGraphProblems(table.tableName, { customerIds: [pair.target, pair.source] })).toEqual([]);
    const third = await ingest({ accountId: `ACC-${unique()}` });
    await expect(
      mergeCustomers(table.store, { targetCustomerId: third.customerId, sourceCustomerId: pair.target, reason: 'after', actor }, new Date()),
    ).resolves.toMatchObject({ status: 'completed' });
  });

  it('answers an undo posted again with the undone merge', async () => {
    await expect(undoMerge(table.store, mergeId, actor, new Date())).resolves.toMatchObject({ status: 'undone', mergeId });
  });
});

describe('a merge cut short (its process killed after it began)', () => {
  let pair: Pair;
  let mergeId: string;

  beforeAll(async () => {
    pair = await arrangePair();
    const dying: GraphStore = {
      ...table.store,
      moveTouchpoints: async () => {
        throw new Error('process killed');
      },
    };
    await expect(mergeCustomers(dying, mergeRequest(pair), new Date(Date.now() - mergeCutShortAfterMs - 1000))).rejects.toThrow('process killed');
    mergeId = (await table.store.readProfile(pair.source))?.mergedBy as string;
  });

  it('holds its target: merging the target away meanwhile is refused, so nothing is left on a merged-away customer', async () => {
    const third = await ingest({ accountId: `ACC-${unique()}` });

    const refusal = await mergeCustomers(
      table.store,
      { targetCustomerId: third.customerId, sourceCustomerId: pair.target, reason: 'while merging', actor },
      new Date(),
    ).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(ConflictError);
    expect((await table.store.readProfile(pair.target))?.mergedInto).toBeNull();
  });

  it('is finished by the scheduled job onto its live target, releasing the lock', async () => {
    const report = await finishInterruptedMerges(table.store, new Date());

    expect(report).toEqual({ finished: [mergeId], failed: [] });
    expect((await table.store.readMergeRecord(mergeId))?.status).toBe('completed');
    expect((await table.store.findIdentifierOwner({ type: 'phone', value: pair.phone }))?.customerId).toBe(pair.target);
    expect((await scanItems(table.tableName)).find((item) => item.customerId === pair.target && item.entity === 'customer')?.identityLock).toBeUndefined();
    expect(await identityGraphProblems(table.tableName, { customerIds: [pair.target, pair.source] })).toEqual([]);
    const third = await ingest({ accountId: `ACC-${unique()}` });
    await expect(
      mergeCustomers(table.store, { targetCustomerId: third.customerId, sourceCustomerId: pair.target, reason: 'after', actor }, new Date()),
    ).resolves.toMatchObject({ status: 'completed' });
  });
});

it('never finishes a merge onto a target merged away meanwhile (a merge begun before targets were locked): the repair reports it and writes nothing', async () => {
  const pair = await arrangePair();
  const dying: GraphStore = {
    ...table.store,
    setIdentifierOwner: async () => {
      throw new Error('process killed');
    },
  };
  await expect(mergeCustomers(dying, mergeRequest(pair), new Date(Date.now() - mergeCutShortAfterMs - 1000))).rejects.toThrow('process killed');
  const mergeId = (await table.store.readProfile(pair.source))?.mergedBy as string;
  // As a merge begun by code that did not lock its target leaves it: the target unlocked, then merged away.
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
  await client.send(new UpdateCommand({ TableName: table.tableName, Key: profileKey(pair.target), UpdateExpression: 'REMOVE identityLock' }));
  const survivor = await ingest({ accountId: `ACC-${unique()}` });
  await mergeCustomers(table.store, { targetCustomerId: survivor.customerId, sourceCustomerId: pair.target, reason: 'later', actor }, new Date());

  const report = await finishInterruptedMerges(table.store, new Date());

  expect(report.finished).not.toContain(mergeId);
  expect(report.failed.map((failure) => failure.mergeId)).toContain(mergeId);
  expect((await table.store.findIdentifierOwner({ type: 'phone', value: pair.phone }))?.customerId).toBe(pair.source);
  expect(await table.store.listTouchpoints(pair.source)).toHaveLength(3);
  expect(await table.store.listTouchpoints(pair.target)).toEqual([]);
  // Left stuck on purpose; taken out so that other tests' repairs in this table see only their own merges.
  await client.send(new DeleteCommand({ TableName: table.tableName, Key: mergeRecordKey(mergeId) }));
});
