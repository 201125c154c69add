import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CallRecorder, recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { createDocumentClient, createDynamoDbClient } from '../../shared/db/client.ts';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';
import { unique } from '../fixtures/touchpoints.ts';

const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT as string, region: 'local' });
const modelReader = createDynamoDbClient({ endpoint: process.env.DYNAMODB_ENDPOINT as string, region: 'local' });
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

  it('models the units AWS bills for a transaction, which DynamoDB Local under-reports', async () => {
    recorder = recordDynamoDbCalls(client, { returnConsumedCapacity: true, modelBilledWrites: modelReader });
    const item = () => ({ pk: `RECORDER#${unique()}`, sk: 'X', d: 'x'.repeat(100) });

    await client.send(new TransactWriteCommand({ TransactItems: [item(), item(), item()].map((Item) => ({ Put: { TableName: testTableName(), Item } })) }));

    const [call] = recorder.calls;
    // Three items under 1 KB, 2 units each in a transaction; DynamoDB Local 3.3.0 reports 2 in all.
    expect(call?.billed).toEqual({ writeUnits: 6, indexWriteUnits: 0 });
    expect(call?.capacityUnits).toBe(2);
  });

  it('models an update on the larger of the item before and after it, its own reads unrecorded', async () => {
    const key = { pk: `RECORDER#${unique()}`, sk: 'X' };
    await client.send(new PutCommand({ TableName: testTableName(), Item: { ...key, d: 'x'.repeat(2_500) } }));
    recorder = recordDynamoDbCalls(client, { returnConsumedCapacity: true, modelBilledWrites: modelReader });

    await client.send(
      new UpdateCommand({ TableName: testTableName(), Key: key, UpdateExpression: 'SET d = :d', ExpressionAttributeValues: { ':d': 'small' } }),
    );

    expect(recorder.calls.map((call) => call.command)).toEqual(['UpdateItemCommand']);
    expect(recorder.calls[0]?.billed).toEqual({ writeUnits: 3, indexWriteUnits: 0 });
  });

  it('models a moved index key as a delete and a put of its keys-only entry', async () => {
    const key = { pk: `RECORDER#${unique()}`, sk: 'X' };
    await client.send(new PutCommand({ TableName: testTableName(), Item: { ...key, gsi1pk: 'RECORDER', gsi1sk: '1', d: 'x'.repeat(2_500) } }));
    recorder = recordDynamoDbCalls(client, { modelBilledWrites: modelReader });

    await client.send(
      new TransactWriteCommand({
        TransactItems: [{ Update: { TableName: testTableName(), Key: key, UpdateExpression: 'SET gsi1sk = :s', ExpressionAttributeValues: { ':s': '2' } } }],
      }),
    );

    expect(recorder.calls[0]?.billed).toEqual({ writeUnits: 6 + 2, indexWriteUnits: 2 });
  });

  it('leaves reads and calls without the model unbilled', async () => {
    recorder = recordDynamoDbCalls(client, { modelBilledWrites: modelReader });

    await client.send(new GetCommand({ TableName: testTableName(), Key: { pk: `RECORDER#${unique()}`, sk: 'X' } }));

    expect(recorder.calls[0]?.billed).toBeUndefined();
  });
});
