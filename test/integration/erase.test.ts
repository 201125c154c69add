import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../shared/config/config.ts';
import { documentClient } from '../../shared/db/client.ts';
import { dynamoPrivacyStore } from '../../shared/db/privacy-store.ts';
import { privacyStore } from '../../shared/db/privacy-store-instances.ts';
import { eraseCustomer as eraseUseCase } from '../../shared/privacy/erase-customer.ts';
import { countAllItems, createTestTable, scanTable } from '../helpers/dynamodb.ts';
import { getCustomer, lookupCustomer, mergeCustomers, postTouchpoint, recordTouchpoint } from '../helpers/handlers.ts';
import { eraseCustomer, exportCustomer, getAccessLog, liftSuppression } from '../helpers/privacy-handlers.ts';
import { touchpointBody, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

/** A factor on the data of the size-bound tests: 1 in CI, larger in `npm run test:soak`. */
const soakScale = Math.max(1, Number(process.env.PROPS_SCALE ?? 1));

beforeAll(async () => {
  await createTestTable();
});

/** A customer with every kind of item: identifiers of each type, touchpoints, idempotency records, reads, a merge. */
async function richCustomer() {
  const values = {
    phone: uniquePhone().e164,
    email: uniqueEmail(),
    accountId: `ACC-${unique()}`,
    anonymousId: `anon-${unique()}`,
    externalId: `crm-${unique()}`,
    mergedEmail: uniqueEmail(),
    idempotencyKey: `erase-${unique()}`,
  };
  const first = await recordTouchpoint(touchpointBody({ identifiers: { phone: values.phone, email: values.email } }));
  const { customerId } = first;
  await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { customerId, accountId: values.accountId } }), {
    'idempotency-key': values.idempotencyKey,
  });
  await recordTouchpoint(
    touchpointBody({
      channel: 'web_visit',
      identifiers: { customerId, anonymousId: values.anonymousId, externalId: { system: 'crm', id: values.externalId } },
    }),
  );
  const merged = await recordTouchpoint(touchpointBody({ channel: 'sms', identifiers: { email: values.mergedEmail } }));
  const merge = await mergeCustomers(customerId, merged.customerId);
  expect(merge.status).toBe(201);
  await lookupCustomer({ phone: values.phone });
  await getCustomer(customerId);
  return { customerId, mergedCustomerId: merged.customerId, values };
}

describe('erasing a customer', () => {
  it('leaves no item and no attribute value carrying its ids or identifiers anywhere in the table', async () => {
    const bystander = await recordTouchpoint(touchpointBody());
    const { customerId, mergedCustomerId, values } = await richCustomer();

    const response = await eraseCustomer(customerId);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'erased', customerIds: expect.arrayContaining([customerId, mergedCustomerId]) });
    const table = JSON.stringify(await scanTable());
    for (const forbidden of [
      customerId,
      mergedCustomerId,
      values.phone,
      values.email,
      values.accountId,
      values.anonymousId,
      values.externalId,
      values.mergedEmail,
      values.idempotencyKey,
    ]) {
      expect(table, `the table still holds ${forbidden}`).not.toContain(forbidden);
    }
    expect((await getCustomer(bystander.customerId)).status).toBe(200);
  });

  it('answers 404 afterwards: lookup, customer, export and access log', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    await eraseCustomer(customerId);

    expect((await lookupCustomer({ phone })).status).toBe(404);
    expect((await getCustomer(customerId)).status).toBe(404);
    expect((await exportCustomer(customerId)).status).toBe(404);
    expect((await getAccessLog(customerId)).status).toBe(404);
  });

  it('answers a repeated erase with the original result from a receipt that holds no personal data; a never-known id stays 404', async () => {
    const { customerId, mergedCustomerId, values } = await richCustomer();
    const first = await eraseCustomer(customerId, { suppress: 'true' });
    expect(first.status).toBe(200);
    const { customerIds: _ids, ...counts } = first.body;
    expect(counts.suppressions.length).toBeGreaterThan(0);

    // By the id asked for and by the id merged into it: the client whose answer was lost learns the hashes.
    for (const repeatedId of [customerId, mergedCustomerId]) {
      const repeat = await eraseCustomer(repeatedId);
      expect(repeat.status).toBe(200);
      expect(repeat.body).toEqual({ ...counts, replayed: true });
    }
    expect((await eraseCustomer('cus_01JDQ7ZKX3F8V6M2N4P5R7S9TC')).status).toBe(404);

    const items = await scanTable();
    const receipts = items.filter((item) => item.entity === 'erasureReceipt');
    expect(receipts.length).toBeGreaterThanOrEqual(2);
    const days = ((receipts[0]?.expiresAt as number) * 1000 - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const table = JSON.stringify(items);
    for (const forbidden of [customerId, mergedCustomerId, values.phone, values.email, values.accountId, values.mergedEmail]) {
      expect(table, `the table still holds ${forbidden}`).not.toContain(forbidden);
    }
  });

  it('lets the identifiers start a new customer afterwards when not suppressed', async () => {
    const phone = uniquePhone().e164;
    const first = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    await eraseCustomer(first.customerId);

    const again = await postTouchpoint(touchpointBody({ identifiers: { phone } }));

    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ customerCreated: true });
    expect(again.body.customerId).not.toBe(first.customerId);
  });

  it('answers 404 for a customer id nobody has, and 422 for a malformed one', async () => {
    expect((await eraseCustomer('cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB')).status).toBe(404);
    expect((await eraseCustomer('not-a-customer')).status).toBe(422);
  });

  it('erases the survivor when asked for a customer that was merged into it: they are one person', async () => {
    const survivor = await recordTouchpoint(touchpointBody());
    const mergedAway = await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { email: uniqueEmail() } }));
    await mergeCustomers(survivor.customerId, mergedAway.customerId);

    const response = await eraseCustomer(mergedAway.customerId);

    expect(response.body.customerIds).toEqual(expect.arrayContaining([survivor.customerId, mergedAway.customerId]));
    expect((await getCustomer(survivor.customerId)).status).toBe(404);
  });
});

describe('suppression', () => {
  it('refuses new touchpoints carrying an erased identifier with 409, storing nothing, until lifted', async () => {
    const phone = uniquePhone();
    const email = uniqueEmail();
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164, email } }));
    const erased = await eraseCustomer(customerId, { suppress: 'true' });
    const phoneSuppression = erased.body.suppressions.find((entry: { type: string }) => entry.type === 'phone');
    const before = await countAllItems();

    const refused = await postTouchpoint(touchpointBody({ identifiers: { phone: phone.national } }));
    const refusedByEmail = await postTouchpoint(
      touchpointBody({ channel: 'email', identifiers: { email: email.toUpperCase(), accountId: `ACC-${unique()}` } }),
    );
    const afterRefusals = await countAllItems();
    const lifted = await liftSuppression(phoneSuppression.hash);
    const accepted = await postTouchpoint(touchpointBody({ identifiers: { phone: phone.international } }));

    expect(erased.body.suppressions.map((entry: { type: string }) => entry.type).sort()).toEqual(['email', 'phone']);
    expect(refused.status).toBe(409);
    expect(refused.body.type).toMatch(/identifier-suppressed/);
    expect(refused.body.detail).not.toContain(phone.e164);
    expect(refusedByEmail.status).toBe(409);
    expect(afterRefusals).toBe(before);
    expect(lifted.status).toBe(204);
    expect(accepted.status).toBe(201);
  });

  it('keeps only keyed hashes: the suppression items hold neither the identifier nor the customer id', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));

    await eraseCustomer(customerId, { suppress: 'true' });

    const suppressions = (await scanTable()).filter((item) => item.entity === 'suppression');
    expect(suppressions.length).toBeGreaterThan(0);
    expect(JSON.stringify(suppressions)).not.toContain(phone);
    expect(JSON.stringify(suppressions)).not.toContain(customerId);
  });

  it('refuses a suppressed identifier inside a batch item alone', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    await eraseCustomer(customerId, { suppress: 'true' });
    const { postBatch } = await import('../helpers/handlers.ts');

    const response = await postBatch({ items: [touchpointBody({ identifiers: { phone } }), touchpointBody()] });

    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([409, 201]);
  });

  it('answers a lift retried after it committed with 204 again, and one never made with 204 too: no suppression has the hash', async () => {
    const phone = uniquePhone().e164;
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    const erased = await eraseCustomer(customerId, { suppress: 'true' });
    const [{ hash }] = erased.body.suppressions;

    const first = await liftSuppression(hash);
    const retried = await liftSuppression(hash);

    expect([first.status, retried.status]).toEqual([204, 204]);
    expect((await liftSuppression('f'.repeat(64))).status).toBe(204);
    expect((await liftSuppression('not-a-hash')).status).toBe(422);
    expect((await postTouchpoint(touchpointBody({ identifiers: { phone } }))).status).toBe(201);
  });
});

describe('erasing a large customer', () => {
  /** Touchpoints written straight into the partition (with locators), as many as a busy customer has. */
  async function seedTouchpoints(client: DynamoDBDocumentClient, customerId: string, count: number) {
    const items = Array.from({ length: count }, (_, index) => {
      const touchpointId = `tp_SEED${customerId.slice(-10)}${String(index).padStart(12, '0')}`;
      const occurredAt = new Date(Date.UTC(2025, 0, 1) + index * 60_000).toISOString();
      return [
        { pk: `CUST#${customerId}`, sk: `T#${occurredAt}#${touchpointId}`, entity: 'touchpoint', touchpointId, customerId, channel: 'call', occurredAt },
        { pk: `TP#${touchpointId}`, sk: 'TP', entity: 'touchpointLocator', touchpointId, customerId, occurredAt },
      ];
    }).flat();
    for (let start = 0; start < items.length; start += 25) {
      await client.send(
        new BatchWriteCommand({ RequestItems: { [config().TABLE_NAME]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) } }),
      );
    }
  }

  it('pauses at the deadline (in_progress) and a repeat finishes the erase', async () => {
    // Pages of ten make a partition of 60 touchpoints as many steps as a busy customer's of 600 in
    // pages of 100 (the erase's own page size); PROPS_SCALE seeds more of them (npm run test:soak).
    const seeded = 60 * soakScale;
    const { customerId } = await recordTouchpoint(touchpointBody());
    await seedTouchpoints(documentClient(), customerId, seeded);
    let checks = 0;
    const options = { suppress: false, actor: 'test', pageSize: 10 * soakScale, outOfTime: () => ++checks > 3 };

    const first = await eraseUseCase(privacyStore(), customerId, options);
    checks = -1_000_000;
    const second = await eraseUseCase(privacyStore(), customerId, options);

    expect(first.status).toBe('in_progress');
    expect(second.status).toBe('erased');
    expect(first.itemsDeleted + second.itemsDeleted).toBeGreaterThanOrEqual(2 * seeded);
    expect(JSON.stringify(await scanTable())).not.toContain(customerId);
  });

  it('sends unprocessed deletes again until DynamoDB takes them', async () => {
    let calls = 0;
    const flaky = {
      send: async (command: BatchWriteCommand) => {
        calls += 1;
        const requests = command.input.RequestItems?.tbl ?? [];
        // The first answer leaves all but one delete unprocessed, as DynamoDB does under throttling.
        return calls === 1 ? { UnprocessedItems: { tbl: requests.slice(1) } } : { UnprocessedItems: {} };
      },
    } as unknown as DynamoDBDocumentClient;

    const deleted = await dynamoPrivacyStore(flaky, 'tbl').deleteKeys([
      { pk: 'a', sk: '1' },
      { pk: 'b', sk: '1' },
      { pk: 'c', sk: '1' },
    ]);

    expect(deleted).toBe(3);
    expect(calls).toBe(2);
  });
});
