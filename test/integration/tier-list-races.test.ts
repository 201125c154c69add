import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/db/client.ts';
import { dynamoCustomerStore } from '../../shared/db/dynamo-customer-store.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { dynamoPrivacyStore } from '../../shared/db/privacy-store.ts';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';
import { recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * The tier list reads its page's keys from the keys-only index and the profiles behind them with a
 * BatchGetItem. Here a write lands between the two, the unlucky moment, on DynamoDB Local.
 */

/** A client that lets `meanwhile` run to its end right before its first BatchGetItem. */
function clientWithWriteBeforeBatchGet(meanwhile: () => Promise<unknown>): { client: DynamoDBDocumentClient; ran: () => boolean } {
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
  let ran = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!ran && context.commandName === 'BatchGetItemCommand') {
        ran = true;
        await meanwhile();
      }
      return next(args);
    },
    { step: 'initialize', name: 'write-before-batch-get' },
  );
  return { client, ran: () => ran };
}

async function newCustomer(): Promise<string> {
  const { customerId } = await recordTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone: uniquePhone().e164 } }));
  return customerId;
}

async function tierOf(customerId: string): Promise<string> {
  const card = await customerStore().readCard(customerId);
  if (!card) throw new Error(`No card for ${customerId}`);
  return card.tier;
}

beforeAll(async () => {
  await createTestTable();
});

describe('a tier list page whose customers change between the index query and the read of their profiles', () => {
  it('leaves out a customer filed under another tier meanwhile, never showing them under the tier asked for', async () => {
    const customerId = await newCustomer();
    const listedTier = await tierOf(customerId);
    const otherTier = listedTier === 'gold' ? 'silver' : 'gold';
    const version = (await customerStore().readCard(customerId))?.version ?? 0;
    const { client, ran } = clientWithWriteBeforeBatchGet(() => customerStore().storeTier(customerId, version, { tier: otherTier, tierRecency: 1 }));

    const page = await dynamoCustomerStore(client, testTableName()).listCustomersByTier(listedTier, { limit: 200 });

    expect(ran()).toBe(true);
    expect(await tierOf(customerId)).toBe(otherTier);
    expect(page.items.map((customer) => customer.customerId)).not.toContain(customerId);
    expect(page.items.every((customer) => customer.card.tier === listedTier)).toBe(true);
  });

  it('leaves out a customer whose erase began meanwhile', async () => {
    const customerId = await newCustomer();
    const tier = await tierOf(customerId);
    const privacy = dynamoPrivacyStore(createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' }), testTableName());
    const { client, ran } = clientWithWriteBeforeBatchGet(() => privacy.markErasing(customerId, new Date().toISOString()));

    const page = await dynamoCustomerStore(client, testTableName()).listCustomersByTier(tier, { limit: 200 });

    expect(ran()).toBe(true);
    expect(page.items.map((customer) => customer.customerId)).not.toContain(customerId);
  });
});
