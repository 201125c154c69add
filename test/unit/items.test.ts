import { describe, expect, it } from 'vitest';
import { apiKeyEntity } from '../../shared/db/items/api-key.ts';
import { mergeRecordEntity } from '../../shared/db/items/merge-record.ts';
import { profileEntity } from '../../shared/db/items/profile.ts';
import { touchpointEntity } from '../../shared/db/items/touchpoint.ts';
import { partitionItemKind } from '../../shared/db/keys.ts';
import { newCustomerItems, toCustomer } from '../../shared/db/profile-item.ts';
import { emptyCard } from '../../shared/domain/card.ts';

const customerId = 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB';

const mergeItem = {
  pk: 'MERGE#mrg_1',
  sk: 'MERGE',
  entity: 'merge',
  gsi1pk: 'MERGES_IN_PROGRESS',
  gsi1sk: '2026-11-01T10:00:00.000Z#mrg_1',
  mergeId: 'mrg_1',
  targetCustomerId: 'cus_a',
  sourceCustomerId: 'cus_b',
  reason: 'same person',
  actor: 'staff:1',
  status: 'in_progress',
  createdAt: '2026-11-01T10:00:00.000Z',
  completedAt: null,
  undoneAt: null,
  undoneBy: null,
  movedIdentifiers: [],
  identifierStates: [],
  movedTouchpointCount: 0,
  touchpointId: null,
  targetBefore: null,
};

describe('item definitions', () => {
  it('write an item under its key, marked with its type, the index keys after the attributes', () => {
    const { profile, card } = newCustomerItems(customerId, '2026-11-01T10:00:00.000Z', emptyCard(), []);

    expect(profile).toMatchObject({ pk: `CUST#${customerId}`, sk: 'Z#PROFILE', entity: 'customer', customerId });
    expect(card).toMatchObject({ pk: `CUST#${customerId}`, sk: 'Z#CARD', entity: 'card', customerId, gsi1pk: expect.stringMatching(/^TIER#/) });
    expect(Object.keys(profile).slice(0, 3)).toEqual(['pk', 'sk', 'entity']);
    expect(Object.keys(card).slice(0, 3)).toEqual(['pk', 'sk', 'entity']);
    expect(Object.keys(card).slice(-2)).toEqual(['gsi1pk', 'gsi1sk']);
  });

  it('keep the card apart from the identity: the profile holds no card attribute, the card no identifier', () => {
    const { profile, card } = newCustomerItems(customerId, '2026-11-01T10:00:00.000Z', emptyCard(), []);

    expect(profile).not.toHaveProperty('touchpointCount');
    expect(profile).not.toHaveProperty('gsi1pk');
    expect(card).not.toHaveProperty('identifiers');
  });

  it('read a merge record back as the record alone: keys, marker and index keys fall away', () => {
    const record = mergeRecordEntity.parse(mergeItem);

    expect(Object.keys(record)).not.toContain('pk');
    expect(Object.keys(record)).not.toContain('gsi1sk');
    expect(record).toMatchObject({ mergeId: 'mrg_1', status: 'in_progress' });
  });

  it('read a merge record written before moves existed as a merge', () => {
    expect(mergeRecordEntity.parse(mergeItem).kind).toBe('merge');
    expect(mergeRecordEntity.parse({ ...mergeItem, kind: 'move' }).kind).toBe('move');
  });

  it('keep the attributes a touchpoint carries beyond its definition (a move re-inserts it whole)', () => {
    const touchpoint = touchpointEntity.parse({
      touchpointId: 'tp_1',
      customerId,
      channel: 'call',
      occurredAt: '2026-11-01T10:00:00.000Z',
      receivedAt: '2026-11-01T10:00:01.000Z',
      source: 'call-centre',
      identifiers: {},
      summary: null,
      details: {},
      somethingNewer: 'kept',
    });

    expect(touchpoint).toMatchObject({ channel: 'call', somethingNewer: 'kept' });
  });

  it('refuse an item that lacks what its type needs, instead of handing the domain undefined', () => {
    expect(() =>
      toCustomer({ pk: `CUST#${customerId}`, sk: 'Z#PROFILE', entity: 'customer', createdAt: '2026-11-01T10:00:00.000Z' }, { entity: 'card', customerId }),
    ).toThrow(/customerId/);
    expect(() => mergeRecordEntity.parse({ ...mergeItem, status: 'finished' })).toThrow(/status/);
    expect(() => touchpointEntity.parse({ touchpointId: 'tp_1', customerId, channel: 'fax' })).toThrow();
  });

  it('read what older code wrote: a card without counters, a key without scopes or creator', () => {
    const customer = toCustomer({ entity: 'customer', customerId, createdAt: '2026-11-01T10:00:00.000Z' }, { entity: 'card', customerId });
    const key = apiKeyEntity.parse({ keyId: 'key_1', name: 'crm', prefix: 'tp_live_ab', createdAt: '2026-11-01T10:00:00.000Z' });

    expect(customer.card).toEqual(emptyCard());
    expect(customer.updatedAt).toBe('2026-11-01T10:00:00.000Z');
    expect(key).toMatchObject({ scopes: [], createdBy: 'unknown' });
  });

  it("tell a customer partition's card from its profile by the sort key, so erase and export know both", () => {
    const { profile, card } = newCustomerItems(customerId, '2026-11-01T10:00:00.000Z', emptyCard(), []);

    expect(partitionItemKind(String(profile.sk))).toBe('profile');
    expect(partitionItemKind(String(card.sk))).toBe('card');
  });

  it('tell a live customer from other items by its marker', () => {
    expect(profileEntity.is({ entity: 'customer' })).toBe(true);
    expect(profileEntity.is({ entity: 'erasingCustomer' })).toBe(false);
    expect(profileEntity.is(undefined)).toBe(false);
  });
});
