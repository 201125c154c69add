import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, StoreUnavailableError } from '../../shared/domain/errors.ts';
import { finishInterruptedMerges, mergeCustomers, mergeCutShortAfterMs } from '../../shared/domain/merge-customers.ts';
import { undoMerge } from '../../shared/domain/undo-merge.ts';
import type { MergeRecord } from '../../shared/domain/identity-store.ts';
import type { IngestResult } from '../../shared/domain/model.ts';
import { createGraphTable, type GraphStore, type GraphTable, identityGraphProblems, scanItems } from '../helpers/identity-graph.ts';
import { ingestCall, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * Merges, undos and ingests at the same time, through the use cases on DynamoDB Local, each race
 * on a table of its own: no touchpoint lost or duplicated, no identifier pointing at nothing or at
 * a merged-away customer, no merge cycle.
 */
const actor = 'concurrency-test';

const ingestInto = (table: GraphTable, identifiers: Record<string, string>, minutesBefore = 5): Promise<IngestResult> =>
  ingestCall(table.store, identifiers, minutesBefore);

const mergeIn = (table: GraphTable, targetCustomerId: string, sourceCustomerId: string) =>
  mergeCustomers(table.store, { targetCustomerId, sourceCustomerId, reason: 'race', actor }, new Date());

const fulfilled = <T>(results: PromiseSettledResult<T>[]) =>
  results.filter((result): result is PromiseFulfilledResult<T> => result.status === 'fulfilled').map((result) => result.value);
const rejected = <T>(results: PromiseSettledResult<T>[]) =>
  results.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => result.reason as unknown);
const describeError = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

describe('20 ingests to the source and the target while they are merged', () => {
  let table: GraphTable;
  let target: { customerId: string; email: string; touchpointIds: string[] };
  let source: { customerId: string; phone: string; touchpointIds: string[] };
  let merge: PromiseSettledResult<MergeRecord>;
  let ingests: PromiseSettledResult<IngestResult>[];
  /** The new email each other ingest to the source attaches (first seen during the race). */
  const newEmails: string[] = [];

  beforeAll(async () => {
    table = await createGraphTable();
    const email = uniqueEmail();
    const phone = uniquePhone().e164;
    const t1 = await ingestInto(table, { email }, 30);
    const t2 = await ingestInto(table, { email }, 20);
    const s1 = await ingestInto(table, { phone }, 25);
    const s2 = await ingestInto(table, { phone }, 15);
    target = { customerId: t1.customerId, email, touchpointIds: [t1.touchpointId, t2.touchpointId] };
    source = { customerId: s1.customerId, phone, touchpointIds: [s1.touchpointId, s2.touchpointId] };

    const racing = Array.from({ length: 20 }, (_, index) => {
      if (index % 2 === 1) return ingestInto(table, { email });
      if (index % 4 === 0) return ingestInto(table, { phone });
      const newEmail = uniqueEmail();
      newEmails.push(newEmail);
      return ingestInto(table, { phone, email: newEmail });
    });
    const [mergeResult, ...ingestResults] = await Promise.allSettled([mergeIn(table, target.customerId, source.customerId), ...racing]);
    merge = mergeResult as PromiseSettledResult<MergeRecord>;
    ingests = ingestResults as PromiseSettledResult<IngestResult>[];
  }, 120_000);

  afterAll(async () => {
    await table?.drop();
  });

  it('completes the merge', () => {
    expect(merge.status === 'rejected' ? describeError(merge.reason) : merge.value.status).toBe('completed');
  });

  it('records every ingest', () => {
    expect(rejected(ingests).map(describeError)).toEqual([]);
  });

  it('stores every touchpoint exactly once, on the survivor', async () => {
    const touchpointIds = [...target.touchpointIds, ...source.touchpointIds, ...fulfilled(ingests).map((result) => result.touchpointId)];

    const items = await scanItems(table.tableName);

    const stored = items.filter((item) => item.entity === 'touchpoint' && String(item.sk).startsWith('T#'));
    expect(stored.map((item) => item.touchpointId).sort()).toEqual([...touchpointIds].sort());
    expect(new Set(stored.map((item) => item.customerId))).toEqual(new Set([target.customerId]));
  });

  it("counts every touchpoint on the survivor's card", async () => {
    const profile = await table.store.readProfile(target.customerId);

    expect(profile?.card.touchpointCount).toBe(4 + fulfilled(ingests).length);
  });

  it('resolves every identifier, old and new, to the survivor', async () => {
    const identifiers = [
      { type: 'email' as const, value: target.email },
      { type: 'phone' as const, value: source.phone },
      ...newEmails.map((value) => ({ type: 'email' as const, value })),
    ];

    const owners = await Promise.all(identifiers.map((identifier) => table.store.findIdentifierOwner(identifier)));

    expect(Object.fromEntries(identifiers.map((identifier, index) => [identifier.value, owners[index]?.customerId]))).toEqual(
      Object.fromEntries(identifiers.map((identifier) => [identifier.value, target.customerId])),
    );
  });

  it('leaves the stored graph sound', async () => {
    expect(await identityGraphProblems(table.tableName)).toEqual([]);
  });
});

describe('two opposite merges of the same pair at once', () => {
  let table: GraphTable;
  const pairs: Array<{ a: string; b: string; results: PromiseSettledResult<MergeRecord>[] }> = [];

  beforeAll(async () => {
    table = await createGraphTable();
    for (let round = 0; round < 3; round += 1) {
      const a = await ingestInto(table, { email: uniqueEmail() });
      const b = await ingestInto(table, { phone: uniquePhone().e164 });
      const results = await Promise.allSettled([mergeIn(table, a.customerId, b.customerId), mergeIn(table, b.customerId, a.customerId)]);
      pairs.push({ a: a.customerId, b: b.customerId, results });
    }
  }, 120_000);

  afterAll(async () => {
    await table?.drop();
  });

  it('lets exactly one merge of each pair succeed', () => {
    expect(pairs.map((pair) => fulfilled(pair.results).length)).toEqual([1, 1, 1]);
  });

  it('refuses the other with a conflict', () => {
    const refusals = pairs.flatMap((pair) => rejected(pair.results));

    expect(refusals.every((error) => error instanceof ConflictError)).toBe(true);
  });

  it('makes no cycle: one customer of each pair is live, the other merged into it', async () => {
    const outcomes = [];
    for (const { a, b } of pairs) {
      const profiles = await table.store.readProfiles([a, b]);
      outcomes.push([profiles.get(a)?.mergedInto, profiles.get(b)?.mergedInto].filter(Boolean).length);
    }

    expect(outcomes).toEqual([1, 1, 1]);
    expect(await identityGraphProblems(table.tableName)).toEqual([]);
  });
});

describe('an undo racing a merge of its survivor into a third customer', () => {
  let table: GraphTable;
  const rounds: Array<{
    source: string;
    target: string;
    third: string;
    phone: string;
    undo: PromiseSettledResult<MergeRecord>;
    merge: PromiseSettledResult<MergeRecord>;
  }> = [];

  beforeAll(async () => {
    table = await createGraphTable();
    for (let round = 0; round < 3; round += 1) {
      const phone = uniquePhone().e164;
      const source = await ingestInto(table, { phone }, 40);
      await ingestInto(table, { phone }, 35);
      const target = await ingestInto(table, { email: uniqueEmail() }, 30);
      const third = await ingestInto(table, { accountId: `ACC-${unique()}` }, 20);
      const first = await mergeIn(table, target.customerId, source.customerId);
      const [undo, merge] = await Promise.allSettled([
        undoMerge(table.store, first.mergeId, actor, new Date()),
        mergeIn(table, third.customerId, target.customerId),
      ]);
      rounds.push({ source: source.customerId, target: target.customerId, third: third.customerId, phone, undo, merge });
    }
  }, 120_000);

  afterAll(async () => {
    await table?.drop();
  });

  it('either finishes each operation or refuses it with a conflict, never fails half-way', () => {
    const failures = rounds.flatMap((round) => rejected([round.undo, round.merge])).filter((error) => !(error instanceof ConflictError));

    expect(failures.map(describeError)).toEqual([]);
  });

  it('leaves the stored graph sound', async () => {
    expect(await identityGraphProblems(table.tableName)).toEqual([]);
  });

  it("resolves the source's phone to the source when the undo went through, else to the last survivor", async () => {
    const owners = [];
    const expected = [];
    for (const round of rounds) {
      owners.push((await table.store.findIdentifierOwner({ type: 'phone', value: round.phone }))?.customerId);
      const mergeWentThrough = round.merge.status === 'fulfilled';
      expected.push(round.undo.status === 'fulfilled' ? round.source : mergeWentThrough ? round.third : round.target);
    }

    expect(owners).toEqual(expected);
  });
});

describe('ingests carrying either customer’s identifiers while a merge is undone', () => {
  let table: GraphTable;
  let source: { customerId: string; phone: string };
  let target: { customerId: string; email: string };
  let undo: PromiseSettledResult<MergeRecord>;
  let bySourcePhone: PromiseSettledResult<IngestResult>[];
  let byTargetEmail: PromiseSettledResult<IngestResult>[];

  beforeAll(async () => {
    table = await createGraphTable();
    const phone = uniquePhone().e164;
    const email = uniqueEmail();
    const s = await ingestInto(table, { phone }, 40);
    const t = await ingestInto(table, { email }, 30);
    source = { customerId: s.customerId, phone };
    target = { customerId: t.customerId, email };
    const merged = await mergeIn(table, t.customerId, s.customerId);

    const phoneIngests = Array.from({ length: 10 }, () => ingestInto(table, { phone }, 1));
    const emailIngests = Array.from({ length: 5 }, () => ingestInto(table, { email }, 1));
    const [undoResult, ...rest] = await Promise.allSettled([undoMerge(table.store, merged.mergeId, actor, new Date()), ...phoneIngests, ...emailIngests]);
    undo = undoResult as PromiseSettledResult<MergeRecord>;
    bySourcePhone = rest.slice(0, 10) as PromiseSettledResult<IngestResult>[];
    byTargetEmail = rest.slice(10) as PromiseSettledResult<IngestResult>[];
  }, 120_000);

  afterAll(async () => {
    await table?.drop();
  });

  it('undoes the merge and records every ingest', () => {
    expect(undo.status === 'rejected' ? describeError(undo.reason) : undo.value.status).toBe('undone');
    expect(rejected([...bySourcePhone, ...byTargetEmail]).map(describeError)).toEqual([]);
  });

  it("puts every touchpoint carrying the source's phone on the source", async () => {
    const items = await scanItems(table.tableName);
    const ownerOf = new Map(items.filter((item) => item.entity === 'touchpoint').map((item) => [item.touchpointId, item.customerId]));

    const owners = fulfilled(bySourcePhone).map((result) => ownerOf.get(result.touchpointId));

    expect(owners).toEqual(owners.map(() => source.customerId));
  });

  it("keeps every touchpoint carrying the target's email on the target", async () => {
    const items = await scanItems(table.tableName);
    const ownerOf = new Map(items.filter((item) => item.entity === 'touchpoint').map((item) => [item.touchpointId, item.customerId]));

    const owners = fulfilled(byTargetEmail).map((result) => ownerOf.get(result.touchpointId));

    expect(owners).toEqual(owners.map(() => target.customerId));
  });

  it('leaves the stored graph sound', async () => {
    expect(await identityGraphProblems(table.tableName)).toEqual([]);
  });
});

/**
 * The same races with the interleaving forced: the store is wrapped so that a second operation
 * runs to its end at the most unlucky moment of the first (still the real store on DynamoDB Local).
 */
describe('interleavings forced at the unlucky moment', () => {
  let table: GraphTable;

  beforeAll(async () => {
    table = await createGraphTable();
  });

  afterAll(async () => {
    await table?.drop();
  });

  it('moves to the survivor an identifier the source gained while its merge was starting', async () => {
    const target = await ingestInto(table, { email: uniqueEmail() });
    const phone = uniquePhone().e164;
    const source = await ingestInto(table, { phone });
    const newEmail = uniqueEmail();
    let interleaved = false;
    // Between the merge reading the source and marking it merged, a touchpoint attaches a new email to it.
    const store: GraphStore = {
      ...table.store,
      beginMerge: async (record) => {
        if (!interleaved) {
          interleaved = true;
          await ingestInto(table, { phone, email: newEmail });
        }
        return table.store.beginMerge(record);
      },
    };

    await mergeCustomers(store, { targetCustomerId: target.customerId, sourceCustomerId: source.customerId, reason: 'race', actor }, new Date());

    expect(interleaved).toBe(true);
    expect((await table.store.findIdentifierOwner({ type: 'email', value: newEmail }))?.customerId).toBe(target.customerId);
  });

  /** A merge whose process dies right after it marked the source merged, begun `startedMsAgo` ago: nothing moved yet. */
  async function mergeCutShort(startedMsAgo: number) {
    const target = await ingestInto(table, { email: uniqueEmail() });
    const anonymousId = `anon-${unique()}`;
    const source = await ingestInto(table, { anonymousId });
    const dying: GraphStore = {
      ...table.store,
      setIdentifierOwner: async () => {
        throw new Error('process killed');
      },
    };
    const request = { targetCustomerId: target.customerId, sourceCustomerId: source.customerId, reason: 'cut short', actor };
    await expect(mergeCustomers(dying, request, new Date(Date.now() - startedMsAgo))).rejects.toThrow('process killed');
    const mergeId = (await table.store.readProfile(source.customerId))?.mergedBy as string;
    return { target: target.customerId, source: source.customerId, anonymousId, mergeId };
  }

  it('records on the survivor a touchpoint carrying only an identifier the merge has not moved yet', async () => {
    const merge = await mergeCutShort(0);

    const visit = await ingestInto(table, { anonymousId: merge.anonymousId });

    expect(visit.customerId).toBe(merge.target);
    // A merge under way is left to the process running it.
    expect((await table.store.readMergeRecord(merge.mergeId))?.status).toBe('in_progress');
  });

  it('finishes on schedule the merges cut short longer ago than any merge may run, and leaves younger ones to their process', async () => {
    const stale = await mergeCutShort(mergeCutShortAfterMs + 1000);
    const young = await mergeCutShort(0);

    const report = await finishInterruptedMerges(table.store, new Date());

    expect(report.failed).toEqual([]);
    expect(report.finished).toContain(stale.mergeId);
    expect(report.finished).not.toContain(young.mergeId);
    expect((await table.store.readMergeRecord(stale.mergeId))?.status).toBe('completed');
    expect((await table.store.findIdentifierOwner({ type: 'anonymousId', value: stale.anonymousId }))?.customerId).toBe(stale.target);
    expect((await table.store.readMergeRecord(young.mergeId))?.status).toBe('in_progress');
    // Finished merges leave the index of merges in progress (and never show its keys).
    const unfinished = await table.store.listUnfinishedMerges(new Date(Date.now() + 60_000).toISOString());
    expect(unfinished.map((record) => record.mergeId)).not.toContain(stale.mergeId);
    expect(unfinished.map((record) => record.mergeId)).toContain(young.mergeId);
    expect(Object.keys((await table.store.readMergeRecord(stale.mergeId)) ?? {})).not.toContain('gsi1pk');
    expect(await identityGraphProblems(table.tableName, { customerIds: [stale.target, stale.source] })).toEqual([]);
  });

  it('resumes an automatic merge the store gave way in, within the same ingest', async () => {
    const email = uniqueEmail();
    const known = await ingestInto(table, { email });
    const anonymousId = `anon-${unique()}`;
    const anonymous = await ingestInto(table, { anonymousId });
    let failures = 0;
    const flaky: GraphStore = {
      ...table.store,
      setIdentifierOwner: async (...args) => {
        if (failures === 0) {
          failures += 1;
          throw new StoreUnavailableError();
        }
        return table.store.setIdentifierOwner(...args);
      },
    };

    const signIn = await ingestCall(flaky, { anonymousId, email });

    expect(failures).toBe(1);
    expect(signIn.merges).toEqual([{ mergeId: expect.any(String), sourceCustomerId: anonymous.customerId }]);
    expect((await table.store.readMergeRecord(signIn.merges![0]!.mergeId))?.status).toBe('completed');
    expect(await identityGraphProblems(table.tableName, { customerIds: [known.customerId, anonymous.customerId] })).toEqual([]);
  });

  describe('a merge of the survivor landing just after an undo checked that the survivor is live', () => {
    let customers: string[];
    let outcome: string;

    beforeAll(async () => {
      const source = await ingestInto(table, { phone: uniquePhone().e164 });
      const target = await ingestInto(table, { email: uniqueEmail() });
      const third = await ingestInto(table, { accountId: `ACC-${unique()}` });
      customers = [source.customerId, target.customerId, third.customerId];
      const first = await mergeIn(table, target.customerId, source.customerId);
      let laterMerge: string | undefined;
      const mergeSurvivorOnce = async (customerIds: string[]) => {
        if (laterMerge !== undefined || !customerIds.includes(target.customerId)) return;
        laterMerge = 'running';
        laterMerge = await mergeIn(table, third.customerId, target.customerId).then(
          () => 'merged',
          (error: unknown) => (error instanceof ConflictError ? 'refused' : describeError(error)),
        );
      };
      // Right after the undo has read the survivor (still live), the survivor is merged into a third customer.
      const store: GraphStore = {
        ...table.store,
        readProfile: async (customerId) => {
          const profile = await table.store.readProfile(customerId);
          await mergeSurvivorOnce([customerId]);
          return profile;
        },
        readProfiles: async (customerIds) => {
          const profiles = await table.store.readProfiles(customerIds);
          await mergeSurvivorOnce(customerIds);
          return profiles;
        },
      };
      const undo = await undoMerge(store, first.mergeId, actor, new Date()).then(
        () => 'undone',
        (error: unknown) => (error instanceof ConflictError ? 'refused' : describeError(error)),
      );
      outcome = `undo ${undo}, later merge ${laterMerge ?? 'never ran'}`;
    }, 60_000);

    it('lets exactly one of them through, refusing the other with a conflict', () => {
      expect(['undo undone, later merge refused', 'undo refused, later merge merged']).toContain(outcome);
    });

    it('leaves the stored graph sound', async () => {
      expect(await identityGraphProblems(table.tableName, { customerIds: customers })).toEqual([]);
    });
  });
});
