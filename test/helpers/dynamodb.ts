import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createDynamoDbClient } from '../../shared/db/client.ts';
import { ensureTable } from '../../shared/db/create-table.ts';

type Item = Record<string, unknown>;

function requiredEnv(name: 'DYNAMODB_ENDPOINT' | 'TABLE_NAME'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: is test/helpers/per-file-setup.ts in vitest's setupFiles?`);
  return value;
}

export function testTableName(): string {
  return requiredEnv('TABLE_NAME');
}

function testDynamoDbClient(): DynamoDBClient {
  return createDynamoDbClient({ endpoint: requiredEnv('DYNAMODB_ENDPOINT'), region: 'local' });
}

/**
 * A test's table, without the deployed table's stream: only the stream publisher's test reads one
 * (it makes its own table), and DynamoDB Local records every write into a stream at several times
 * the cost of the write (shared/db/create-table.ts), the larger part of the suite's CPU.
 */
export function ensureTestTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return ensureTable(client, tableName, { stream: false });
}

/** Creates this test file's own table (per-file-setup chose its name); call it in beforeAll. */
export async function createTestTable(): Promise<void> {
  const client = testDynamoDbClient();
  try {
    await ensureTestTable(client, testTableName());
  } finally {
    client.destroy();
  }
}

// A client of the test's own, apart from the application's shared documentClient(), so that
// inspecting the table never shows up in the application's DynamoDB call counts.
let inspector: DynamoDBDocumentClient | undefined;

function inspectorClient(): DynamoDBDocumentClient {
  inspector ??= createDocumentClient({ endpoint: requiredEnv('DYNAMODB_ENDPOINT'), region: 'local' });
  return inspector;
}

/** Every item in this file's table. A Scan is fine here: the test inspects, no request path scans. */
export async function scanTable(): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await inspectorClient().send(new ScanCommand({ TableName: testTableName(), ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...((page.Items ?? []) as Item[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** How many items a Scan counts, counted by DynamoDB Local itself: no item crosses the wire. */
async function countScanned(filter?: { expression: string; names: Record<string, string>; values: Record<string, unknown> }): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await inspectorClient().send(
      new ScanCommand({
        TableName: testTableName(),
        ConsistentRead: true,
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
        ...(filter ? { FilterExpression: filter.expression, ExpressionAttributeNames: filter.names, ExpressionAttributeValues: filter.values } : {}),
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/**
 * The items a request's writes leave: everything but read-audit entries. Every read of a customer
 * adds one of those by design (issue 6), so a test that reads back between two counts still
 * proves that a rejected write stored nothing. countAllItems() counts everything.
 */
export function countItems(): Promise<number> {
  return countScanned({ expression: '#entity <> :readAudit', names: { '#entity': 'entity' }, values: { ':readAudit': 'readAudit' } });
}

/** Every item, read-audit entries included. */
export function countAllItems(): Promise<number> {
  return countScanned();
}

/** The items of one entity type (`customer`, `touchpoint`, `identifier`, `mergeCandidate`, ...). */
export async function itemsOfEntity(entity: string): Promise<Item[]> {
  return (await scanTable()).filter((item) => item.entity === entity);
}
