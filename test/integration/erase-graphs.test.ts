import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, it } from 'vitest';
import { documentClient } from '../../shared/db/client.ts';
import { dynamoIdentityStore } from '../../shared/db/dynamo-identity-store.ts';
import { profileKey } from '../../shared/db/keys.ts';
import { newMergeId } from '../../shared/domain/ids.ts';
import { scanTable, testTableName } from '../helpers/dynamodb.ts';
import { type ErasureCase, erasureCases, expectCleanErasure } from '../helpers/erase-graphs.ts';
import { useTestApiClient } from '../helpers/local-api.ts';
import { runScheduledMergeRepair } from '../helpers/mutation-model.ts';

/**
 * Erase over every shape of identity graph (issue 10, classes 1, 4 and 5): each shape is built
 * through the API, exported, erased, and then the whole table is scanned. Nothing may hold the
 * person's ids or values, the other customers stay whole, and what went was in the export.
 */
const client = useTestApiClient();

const cases = erasureCases(client, {
  async forgetProfileEntry(customerId, identifierKey) {
    await documentClient().send(
      new UpdateCommand({
        TableName: testTableName(),
        Key: profileKey(customerId),
        UpdateExpression: 'REMOVE #identifiers.#key',
        ExpressionAttributeNames: { '#identifiers': 'identifiers', '#key': identifierKey },
      }),
    );
  },
  async beginMergeOnly(targetCustomerId, sourceCustomerId) {
    const store = dynamoIdentityStore(documentClient(), testTableName());
    const target = await store.readProfile(targetCustomerId);
    await store.beginMerge({
      mergeId: newMergeId(),
      kind: 'merge',
      targetCustomerId,
      sourceCustomerId,
      reason: 'cut short by the test',
      actor: 'test',
      status: 'in_progress',
      createdAt: new Date().toISOString(),
      completedAt: null,
      undoneAt: null,
      undoneBy: null,
      movedIdentifiers: [],
      identifierStates: [],
      movedTouchpointCount: 0,
      touchpointId: null,
      targetBefore: { preferences: target?.preferences ?? null, identifierPermissions: target?.identifierPermissions ?? {} },
    });
  },
  finishCutShortMerges: runScheduledMergeRepair,
});

describe('erasing a person leaves no trace, keeps the others whole, and exported everything first', () => {
  for (const [shape, arrange] of Object.entries(cases)) {
    it(`for ${shape}`, { timeout: 60_000 }, async () => {
      await expectCleanErasure(client, scanTable, await arrange());
    });
  }
});

describe('erasing with suppress=true keeps only keyed hashes, and nothing others still hold', () => {
  for (const shape of ['one of several sharers of a landline', 'an anonymous visitor merged in when they signed in', 'merge candidates on both sides']) {
    it(`for ${shape}`, { timeout: 60_000 }, async () => {
      await expectCleanErasure(client, scanTable, await (cases[shape] as () => Promise<ErasureCase>)(), { suppress: true });
    });
  }
});
