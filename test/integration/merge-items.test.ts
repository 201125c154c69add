import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { touchpointKey } from '../../shared/db/keys.ts';
import { linkIdentifier, unlinkIdentifier } from '../../shared/domain/link-identifier.ts';
import { mergeCustomers } from '../../shared/domain/merge-customers.ts';
import { moveTouchpoint } from '../../shared/domain/move-touchpoint.ts';
import { undoMerge } from '../../shared/domain/undo-merge.ts';
import { ingestTouchpoint } from '../../shared/domain/ingest-touchpoint.ts';
import { logger } from '../../shared/observability/logger.ts';
import { touchpointInputSchema } from '../../shared/schemas/touchpoint.ts';
import { createGraphTable, type GraphTable, identityGraphProblems, scanItems } from '../helpers/identity-graph.ts';
import { detailsFor, minutesAgo, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * What a merge, an undo and a move leave in the table, item by item: the stored graph stays sound
 * and a moved touchpoint keeps everything it was stored with (retention expiry, the reference an
 * erase follows to its idempotency record).
 */
let table: GraphTable;

beforeAll(async () => {
  table = await createGraphTable();
});

afterAll(async () => {
  await table?.drop();
});

const actor = 'integration-test';

async function ingest(identifiers: Record<string, string>, options: { minutesBefore?: number; idempotencyKey?: string } = {}) {
  const input = touchpointInputSchema.parse({
    channel: 'call',
    identifiers,
    source: 'call-centre',
    occurredAt: minutesAgo(options.minutesBefore ?? 10),
    details: detailsFor('call'),
  });
  return ingestTouchpoint(table.store, input, {
    receivedAt: new Date(),
    requestFingerprint: unique(),
    log: logger,
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
  });
}

const merge = (targetCustomerId: string, sourceCustomerId: string) =>
  mergeCustomers(table.store, { targetCustomerId, sourceCustomerId, reason: 'same person', actor }, new Date());

async function storedTouchpoint(touchpointId: string) {
  return (await scanItems(table.tableName)).find((item) => item.entity === 'touchpoint' && item.touchpointId === touchpointId);
}

describe('a touchpoint moved by a merge', () => {
  it('keeps its retention expiry', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const expiresBefore = (await storedTouchpoint(source.touchpointId))?.expiresAt;

    await merge(target.customerId, source.customerId);

    const moved = await storedTouchpoint(source.touchpointId);
    expect(moved).toMatchObject(touchpointKey(target.customerId, moved?.occurredAt as string, source.touchpointId));
    expect(expiresBefore).toEqual(expect.any(Number));
    expect(moved?.expiresAt).toBe(expiresBefore);
  });

  it('keeps the idempotency record its locator carries, re-pointed at the survivor', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 }, { idempotencyKey: `key-${unique()}` });
    const locatorOf = async () =>
      (await scanItems(table.tableName)).find((item) => item.entity === 'touchpointLocator' && item.touchpointId === source.touchpointId);
    const before = await locatorOf();

    await merge(target.customerId, source.customerId);

    const after = await locatorOf();
    expect(before?.requestFingerprint).toEqual(expect.any(String));
    expect(after).toMatchObject({ customerId: target.customerId, requestFingerprint: before?.requestFingerprint, result: before?.result });
  });

  it('keeps its retention expiry when the merge is undone', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const expiresBefore = (await storedTouchpoint(source.touchpointId))?.expiresAt;
    const record = await merge(target.customerId, source.customerId);

    await undoMerge(table.store, record.mergeId, actor, new Date());

    expect((await storedTouchpoint(source.touchpointId))?.expiresAt).toBe(expiresBefore);
  });
});

describe('a touchpoint moved by staff', () => {
  it('keeps its retention expiry', async () => {
    const from = await ingest({ email: uniqueEmail() });
    const to = await ingest({ phone: uniquePhone().e164 });
    const expiresBefore = (await storedTouchpoint(from.touchpointId))?.expiresAt;

    await moveTouchpoint(table.store, { touchpointId: from.touchpointId, customerId: to.customerId, reason: 'wrong caller', actor }, new Date());

    expect((await storedTouchpoint(from.touchpointId))?.expiresAt).toBe(expiresBefore);
  });
});

describe('the stored graph after merges and undos', () => {
  it('is sound after a merge: identifiers, touchpoints and locators all on the survivor', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164, accountId: `ACC-${unique()}` });
    await ingest({ phone: uniquePhone().e164 }, { minutesBefore: 3 });

    await merge(target.customerId, source.customerId);

    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('is sound after an undo', async () => {
    const target = await ingest({ email: uniqueEmail() });
    const source = await ingest({ phone: uniquePhone().e164 });
    const record = await merge(target.customerId, source.customerId);

    await undoMerge(table.store, record.mergeId, actor, new Date());

    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it("leaves no identifier resolving to nobody when staff unlinked one of the source's identifiers from the survivor before the undo", async () => {
    const target = await ingest({ email: uniqueEmail() });
    const phone = uniquePhone().e164;
    const source = await ingest({ phone, accountId: `ACC-${unique()}` });
    const record = await merge(target.customerId, source.customerId);
    await unlinkIdentifier(table.store, target.customerId, { type: 'phone', value: phone });

    await undoMerge(table.store, record.mergeId, actor, new Date());

    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it("leaves no customer listing another customer's identifier when the source's phone changed hands before the undo", async () => {
    const target = await ingest({ email: uniqueEmail() });
    const phone = uniquePhone().e164;
    const source = await ingest({ phone, accountId: `ACC-${unique()}` });
    const other = await ingest({ email: uniqueEmail() });
    const record = await merge(target.customerId, source.customerId);
    await unlinkIdentifier(table.store, target.customerId, { type: 'phone', value: phone });
    await linkIdentifier(table.store, { customerId: other.customerId, identifier: { type: 'phone', value: phone }, shared: false, actor }, new Date());

    await undoMerge(table.store, record.mergeId, actor, new Date());

    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId, other.customerId] })).toEqual([]);
  });

  it('is sound after two customers sharing a phone are merged', async () => {
    const phone = uniquePhone().e164;
    const source = await ingest({ phone });
    const target = await ingest({ email: uniqueEmail() });
    await linkIdentifier(table.store, { customerId: target.customerId, identifier: { type: 'phone', value: phone }, shared: true, actor }, new Date());

    await merge(target.customerId, source.customerId);

    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('is sound after a merge of two customers sharing a phone is undone', async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ phone });
    const source = await ingest({ email: uniqueEmail() });
    await linkIdentifier(table.store, { customerId: source.customerId, identifier: { type: 'phone', value: phone }, shared: true, actor }, new Date());
    const record = await merge(target.customerId, source.customerId);

    await undoMerge(table.store, record.mergeId, actor, new Date());

    expect(await identityGraphProblems(table.tableName, { customerIds: [target.customerId, source.customerId] })).toEqual([]);
  });

  it('gives a shared phone back to the customer that owned it, still shared with the other, when their merge is undone', async () => {
    const phone = uniquePhone().e164;
    const target = await ingest({ phone });
    const source = await ingest({ email: uniqueEmail() });
    await linkIdentifier(table.store, { customerId: source.customerId, identifier: { type: 'phone', value: phone }, shared: true, actor }, new Date());
    const record = await merge(target.customerId, source.customerId);

    await undoMerge(table.store, record.mergeId, actor, new Date());

    expect(await table.store.findIdentifierOwner({ type: 'phone', value: phone })).toEqual({
      customerId: target.customerId,
      sharedWith: [source.customerId],
    });
  });
});
