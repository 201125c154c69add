import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IdentityStore, MergeCandidate } from '../../domain/identity-store.ts';
import { itemsOfIndexEntries } from '../index-page.ts';
import { mergeCandidateEntity } from '../items/merge-candidate.ts';
import { mergeCandidateKey, mergeCandidatesIndexPartition } from '../keys.ts';
import { type CursorBinding, decodePageCursor, encodePageCursor, equals, keyPatterns, matches } from '../page-cursor.ts';
import { call } from '../store-errors.ts';
import { updateExpression } from '../update-expression.ts';
import type { IdentityTable } from './table.ts';

type Item = Record<string, unknown>;

const mergeCandidatesCursorBinding: CursorBinding = { list: 'merge-candidates', scope: {} };

type CandidateMethods = 'listMergeCandidates' | 'resolveMergeCandidate' | 'closeMergeCandidate' | 'reopenMergeCandidate';

/** Pairs of customers that claim one identifier (ingest records them), as staff list and settle them. */
export function candidateStore(table: IdentityTable): Pick<IdentityStore, CandidateMethods> {
  const { client, tableName } = table;

  async function listMergeCandidates(page: { limit: number; cursor?: string }) {
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :partition',
          ExpressionAttributeValues: { ':partition': mergeCandidatesIndexPartition },
          ScanIndexForward: false,
          Limit: page.limit,
          ...(page.cursor
            ? {
                ExclusiveStartKey: decodePageCursor(page.cursor, mergeCandidatesCursorBinding, {
                  pk: matches(keyPatterns.mergeCandidatePartition),
                  sk: equals(mergeCandidateKey(['', '']).sk),
                  gsi1pk: equals(mergeCandidatesIndexPartition),
                  gsi1sk: matches(keyPatterns.mergeCandidateIndexSortKey),
                }),
              }
            : {}),
        }),
      ),
    );
    // The index holds keys only: the status is read with the items, and a page is filtered as a
    // FilterExpression would have (Limit counts the candidates read, open or not; a reopened
    // candidate has no status until a touchpoint shows the conflict again).
    const items = await itemsOfIndexEntries(client, tableName, output.Items ?? []);
    return {
      items: items.filter((item) => item.status === 'open').map(toMergeCandidate),
      nextCursor: encodePageCursor(mergeCandidatesCursorBinding, output.LastEvaluatedKey),
    };
  }

  async function resolveMergeCandidate(candidateId: string, status: 'dismissed' | 'merged'): Promise<boolean> {
    const customerIds = candidateId.split('.');
    if (customerIds.length !== 2) return false;
    return closeMergeCandidate(customerIds as [string, string], status);
  }

  async function closeMergeCandidate(customerIds: [string, string], status: 'dismissed' | 'merged'): Promise<boolean> {
    try {
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: mergeCandidateKey(customerIds),
            ...updateExpression().set('status', status).set('resolvedAt', new Date().toISOString()).when('attribute_exists(pk)').build(),
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async function reopenMergeCandidate(customerIds: [string, string]): Promise<void> {
    try {
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: mergeCandidateKey(customerIds),
            // Without a status, the next touchpoint showing the conflict sets it to open (if_not_exists).
            ...updateExpression().remove('status', 'resolvedAt').when('#status = :merged', { ':merged': 'merged' }, { '#status': 'status' }).build(),
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  return { listMergeCandidates, resolveMergeCandidate, closeMergeCandidate, reopenMergeCandidate };
}

function toMergeCandidate(item: Item): MergeCandidate {
  const candidate = mergeCandidateEntity.parse(item);
  return {
    candidateId: candidate.customerIds.join('.'),
    customerIds: candidate.customerIds,
    identifiers: candidate.identifiers,
    occurrences: candidate.occurrences,
    detectedAt: candidate.detectedAt,
    lastSeenAt: candidate.lastSeenAt,
    status: candidate.status,
  };
}
