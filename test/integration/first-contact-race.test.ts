import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable, itemsOfEntity } from '../helpers/dynamodb.ts';
import { lookupCustomer, postTouchpoint, wholeTimeline } from '../helpers/handlers.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

describe('first contact race', () => {
  it('creates exactly one customer when 20 first contacts with the same new phone arrive at once', async () => {
    const phone = uniquePhone();
    const formats = [phone.e164, phone.international, phone.internationalWithTrunkZero, phone.national];
    const bodies = Array.from({ length: 20 }, (_, index) =>
      touchpointBody({ identifiers: { phone: formats[index % formats.length] }, summary: `Call ${index}` }),
    );

    const responses = await Promise.all(bodies.map((body) => postTouchpoint(body)));

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
    const customerIds = new Set(responses.map((response) => response.body.customerId));
    expect(customerIds.size).toBe(1);
    expect(responses.filter((response) => response.body.customerCreated === true)).toHaveLength(1);

    const [customerId] = [...customerIds] as [string];
    const timeline = await wholeTimeline(customerId);
    expect(timeline.map((touchpoint) => touchpoint.touchpointId).sort()).toEqual(responses.map((response) => response.body.touchpointId).sort());
    const lookup = await lookupCustomer({ phone: phone.e164 });
    expect(lookup.body.customer.customerId).toBe(customerId);
    expect(lookup.body.summary.touchpointCount).toBe(20);
    const identifierItems = (await itemsOfEntity('identifier')).filter((item) => item.value === phone.e164);
    expect(identifierItems).toHaveLength(1);
    const customersCreated = (await itemsOfEntity('customer')).filter((item) => customerIds.has(item.customerId as string));
    expect(customersCreated).toHaveLength(1);
    expect(await itemsOfEntity('customer')).toHaveLength(1);
  }, 120_000);
});
