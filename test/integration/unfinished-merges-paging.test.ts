import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/db/client.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { dynamoIdentityStore } from '../../shared/db/dynamo-identity-store.ts';
import { unfinishedMergesIndexPartition } from '../../shared/db/keys.ts';
import { finishInterruptedMerges, mergeCustomers, mergeCutShortAfterMs } from '../../shared/domain/merge-customers.ts';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';
import { ingestCall, unique, uniqueEmail } from '../fixtures/touchpoints.ts';

/**
 * The merges in progress are read from the keys-only index page after page, and the records behind
 * the entries with a BatchGetItem. A merge can change its place in the index between two pages (it
 * completes, and an undo of it begins, listed under the undo's start): it is then listed twice.
 */
beforeAll(async () => {
  await createTestTable();
});

const minutesBefore = (date: Date, minutes: number) => new Date(date.getTime() - minutes * 60_000);

/** A merge of two new customers, cut short after it began at `startedAt`: its id. */
async function interruptedMerge(startedAt: Date): Promise<string> {
  const store = customerStore();
  const known = await ingestCall(store, { email: uniqueEmail() });
  const anonymous = await ingestCall(store, { anonymousId: `anon-${unique()}` });
  const dying = {
    ...store,
    setIdentifierOwner: async () => {
      throw new Error('process killed');
    },
  };
  const request = { targetCustomerId: known.customerId, sourceCustomerId: anonymous.customerId, reason: 'automatic', actor: 'automatic:web' };
  await expect(mergeCustomers(dying, request, startedAt)).rejects.toThrow('process killed');
  const mergeId = (await store.readProfile(anonymous.customerId))?.mergedBy;
  if (!mergeId) throw new Error('The merge did not begin');
  return mergeId;
}

describe('listing the merges in progress while one of them moves in the index', () => {
  it('lists a merge once when it completes and an undo of it begins between two pages of the index', async () => {
    const now = new Date();
    const mergeStartedAt = minutesBefore(now, mergeCutShortAfterMs / 60_000 + 30);
    const undoStartedAt = minutesBefore(now, mergeCutShortAfterMs / 60_000 + 10);
    const mergeId = await interruptedMerge(mergeStartedAt);
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    let pages = 0;
    // One entry a page (as a page of a long list ends), and between the first two pages the merge
    // completes and its undo begins, cut short too.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IndexName?: string; ExpressionAttributeValues?: Record<string, unknown> };
        if (context.commandName !== 'QueryCommand' || input.ExpressionAttributeValues?.[':partition'] !== unfinishedMergesIndexPartition) return next(args);
        pages += 1;
        const output = await next({ ...args, input: { ...args.input, Limit: 1 } });
        if (pages === 1) {
          await finishInterruptedMerges(customerStore(), now);
          const completed = await customerStore().readMergeRecord(mergeId);
          if (completed?.status !== 'completed') throw new Error(`The merge did not complete: ${completed?.status}`);
          await customerStore().beginUndo({ ...completed, status: 'undoing', undoneBy: 'review-test', undoStartedAt: undoStartedAt.toISOString() });
        }
        return output;
      },
      { step: 'initialize', name: 'one-entry-pages' },
    );

    const listed = await dynamoIdentityStore(client, testTableName()).listUnfinishedMerges(minutesBefore(now, mergeCutShortAfterMs / 60_000).toISOString());

    expect(pages).toBeGreaterThan(1);
    expect(listed.map((record) => [record.mergeId, record.status])).toEqual([[mergeId, 'undoing']]);
  });
});
