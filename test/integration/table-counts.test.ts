import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/db/client.ts';
import { countAllItems, countItems, createTestTable, scanTable, testTableName } from '../helpers/dynamodb.ts';

/**
 * The counts that prove "a rejected request stored nothing" in a hundred tests: counted by
 * DynamoDB Local (Select COUNT), they must agree with the items a full scan returns, items with
 * no entity attribute included.
 */
beforeAll(async () => {
  await createTestTable();
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
  const put = (item: Record<string, unknown>) => client.send(new PutCommand({ TableName: testTableName(), Item: item }));
  await put({ pk: 'count#audit', sk: '1', entity: 'readAudit' });
  await put({ pk: 'count#customer', sk: '1', entity: 'customer' });
  await put({ pk: 'count#bare', sk: '1' });
  await put({ pk: 'count#numbered', sk: '1', entity: 7 });
  client.destroy();
});

it('counts every item but read-audit entries, as a scan filtered in JavaScript does', async () => {
  const scanned = await scanTable();

  expect(await countItems()).toBe(3);
  expect(await countItems()).toBe(scanned.filter((item) => item.entity !== 'readAudit').length);
});

it('counts every item with countAllItems, read-audit entries included', async () => {
  expect(await countAllItems()).toBe(4);
  expect(await countAllItems()).toBe((await scanTable()).length);
});
