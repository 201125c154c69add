import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CallRecorder, recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { createDocumentClient } from '../../shared/db/client.ts';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';
import { unique } from '../fixtures/touchpoints.ts';

const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT as string, region: 'local' });
let recorder: CallRecorder | undefined;

beforeAll(async () => {
  await createTestTable();
});

afterEach(() => {
  recorder?.detach();
});

describe('the DynamoDB call recorder', () => {
  it('records each call by its command name', async () => {
    recorder = recordDynamoDbCalls(client);
    const key = { pk: `RECORDER#${unique()}`, sk: 'X' };

    await client.send(new PutCommand({ TableName: testTableName(), Item: key }));
    await client.send(new GetCommand({ TableName: testTableName(), Key: key }));

    expect(recorder.calls.map((call) => call.command)).toEqual(['PutItemCommand', 'GetItemCommand']);
  });

  it('reports the capacity a call consumed when asked to', async () => {
    recorder = recordDynamoDbCalls(client, { returnConsumedCapacity: true });

    await client.send(new PutCommand({ TableName: testTableName(), Item: { pk: `RECORDER#${unique()}`, sk: 'X' } }));

    expect(recorder.calls[0]?.capacityUnits).toBeGreaterThan(0);
  });

  it('stops recording once detached', async () => {
    recorder = recordDynamoDbCalls(client);
    recorder.detach();

    await client.send(new GetCommand({ TableName: testTableName(), Key: { pk: `RECORDER#${unique()}`, sk: 'X' } }));

    expect(recorder.calls).toEqual([]);
  });

  it('records a call that DynamoDB rejects, since it is a round trip all the same', async () => {
    const key = { pk: `RECORDER#${unique()}`, sk: 'X' };
    await client.send(new PutCommand({ TableName: testTableName(), Item: key }));
    recorder = recordDynamoDbCalls(client);

    const write = client.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: testTableName(), Item: key, ConditionExpression: 'attribute_not_exists(pk)' } }],
      }),
    );

    await expect(write).rejects.toThrow();
    expect(recorder.calls.map((call) => call.command)).toEqual(['TransactWriteItemsCommand']);
  });
});
