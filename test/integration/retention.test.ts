import { beforeAll, describe, expect, it } from 'vitest';
import { touchpointExpiresAt } from '../../shared/config/retention.ts';
import { createTestTable, scanTable } from '../helpers/dynamodb.ts';
import { getCustomer, recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

async function itemsOfTouchpoint(touchpointId: string) {
  return (await scanTable()).filter((item) => item.touchpointId === touchpointId && ['touchpoint', 'touchpointLocator'].includes(item.entity as string));
}

describe('retention by DynamoDB TTL', () => {
  it('gives a web visit and its locator an expiry 13 months after it happened', async () => {
    const occurredAt = '2026-11-20T10:00:00.000Z';
    const { touchpointId } = await recordTouchpoint(touchpointBody({ channel: 'web_visit', occurredAt }));

    const items = await itemsOfTouchpoint(touchpointId);

    expect(items).toHaveLength(2);
    for (const item of items) expect(item.expiresAt).toBe(Date.parse('2027-12-20T10:00:00.000Z') / 1000);
  });

  it('gives a call and its locator an expiry 7 years after it happened', async () => {
    const occurredAt = '2026-11-20T10:00:00.000Z';
    const { touchpointId } = await recordTouchpoint(touchpointBody({ channel: 'call', occurredAt }));

    const items = await itemsOfTouchpoint(touchpointId);

    expect(items.map((item) => item.expiresAt)).toEqual([touchpointExpiresAt('call', occurredAt), touchpointExpiresAt('call', occurredAt)]);
    expect(items[0]?.expiresAt).toBe(Date.parse('2033-11-20T10:00:00.000Z') / 1000);
  });

  it('never puts an expiry on the profile: the lifetime counters outlive the touchpoints', async () => {
    const { customerId } = await recordTouchpoint(touchpointBody({ channel: 'web_visit' }));
    await recordTouchpoint(touchpointBody({ channel: 'web_visit', identifiers: { customerId } }));

    const profile = (await scanTable()).find((item) => item.entity === 'customer' && item.customerId === customerId);

    expect(profile).toBeDefined();
    expect(profile).not.toHaveProperty('expiresAt');
    expect((await getCustomer(customerId)).body.summary.touchpointCount).toBe(2);
  });
});
