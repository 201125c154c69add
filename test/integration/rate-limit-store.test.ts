import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../shared/db/client.ts';
import { dynamoRateLimitStore } from '../../shared/db/rate-limit-store.ts';
import { createTestTable, itemsOfEntity, testTableName } from '../helpers/dynamodb.ts';

/** The web route's fixed-window counters against DynamoDB Local, with the clock given. */
beforeAll(async () => {
  await createTestTable();
});

const store = () => dynamoRateLimitStore(documentClient(), testTableName());
const at = (seconds: number) => new Date(Date.UTC(2026, 11, 2, 0, 0, 0) + seconds * 1000);

describe('a rate limit', () => {
  it('allows the limit within a window, refuses the next with the seconds left, and starts again in the next window', async () => {
    const limit = { subject: `test#${Date.now()}-a`, limit: 2, windowSeconds: 60 };

    expect(await store().take(limit, at(5))).toEqual({ allowed: true });
    expect(await store().take(limit, at(20))).toEqual({ allowed: true });
    expect(await store().take(limit, at(45))).toEqual({ allowed: false, retryAfterSeconds: 15 });
    expect(await store().take(limit, at(59))).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(await store().take(limit, at(60))).toEqual({ allowed: true });
  });

  it('counts each subject apart', async () => {
    const first = { subject: `test#${Date.now()}-b`, limit: 1, windowSeconds: 60 };
    const second = { ...first, subject: `${first.subject}-other` };

    expect(await store().take(first, at(1))).toEqual({ allowed: true });
    expect(await store().take(second, at(1))).toEqual({ allowed: true });
    expect(await store().take(first, at(2))).toEqual({ allowed: false, retryAfterSeconds: 58 });
  });

  it('does not count refused requests, and lets the window expire by TTL soon after it ends', async () => {
    const limit = { subject: `test#${Date.now()}-c`, limit: 1, windowSeconds: 60 };
    await store().take(limit, at(1));
    await store().take(limit, at(2));
    await store().take(limit, at(3));

    const windows = (await itemsOfEntity('rateWindow')).filter((item) => item.pk === `RATE#${limit.subject}`);
    expect(windows).toEqual([expect.objectContaining({ hits: 1, expiresAt: Math.floor(at(60).getTime() / 1000) + 60 })]);
  });
});
