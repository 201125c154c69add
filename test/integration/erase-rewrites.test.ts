import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/db/client.ts';
import { cardKey, customerPartition, mergeRecordKey, profileKey } from '../../shared/db/keys.ts';
import { dynamoPrivacyStore } from '../../shared/db/privacy-store.ts';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';
import { recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * An erase redacts another customer's records with an UpdateItem of the attributes it changed.
 * The record can vanish between the erase's read and its rewrite (a move carries a touchpoint to
 * another partition): the rewrite must then report it gone and leave nothing behind, never a
 * fragment of the record made up of the redacted attributes alone.
 */
const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
const privacy = () => dynamoPrivacyStore(client, testTableName());
const readItem = async (key: { pk: string; sk: string }) =>
  (await client.send(new GetCommand({ TableName: testTableName(), Key: key, ConsistentRead: true }))).Item;

beforeAll(async () => {
  await createTestTable();
});

async function storedTouchpoint() {
  const { touchpointId } = await recordTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone: uniquePhone().e164 } }));
  const touchpoint = await privacy().readTouchpoint(touchpointId);
  if (!touchpoint) throw new Error(`Touchpoint ${touchpointId} was not stored`);
  return touchpoint;
}

describe("an erase's rewrite of a record", () => {
  it('sets the changed attributes and leaves the others as they were', async () => {
    const touchpoint = await storedTouchpoint();
    const key = { pk: customerPartition(touchpoint.customerId), sk: touchpoint.position };
    const before = await readItem(key);

    const rewritten = await privacy().rewriteTouchpoint(touchpoint, { set: { summary: '[erased]' }, remove: [] });

    expect(rewritten).toBe(true);
    expect(await readItem(key)).toEqual({ ...before, summary: '[erased]' });
  });

  it('reports a touchpoint deleted since it was read as gone, and does not bring it back', async () => {
    const touchpoint = await storedTouchpoint();
    const key = { pk: customerPartition(touchpoint.customerId), sk: touchpoint.position };
    await client.send(new DeleteCommand({ TableName: testTableName(), Key: key }));

    const rewritten = await privacy().rewriteTouchpoint(touchpoint, { set: { summary: '[erased]', status: '[erased]' }, remove: ['details'] });

    expect(rewritten).toBe(false);
    expect(await readItem(key)).toBeUndefined();
  });

  it('reports a merge record that does not exist as gone, and creates none', async () => {
    const mergeId = 'mrg_01JREVIEW0000000000000000';

    const rewritten = await privacy().rewriteMergeRecord(mergeId, { set: { reason: '[erased]', name: '[erased]' }, remove: [] }, { reason: 'x', name: 'y' });

    expect(rewritten).toBe(false);
    expect(await readItem(mergeRecordKey(mergeId))).toBeUndefined();
  });

  it('leaves a merge record whose attributes changed since they were read (the other party erased at the same moment), and says so', async () => {
    const mergeId = `mrg_01JREVIEW${Date.now()}`.slice(0, 30);
    const key = mergeRecordKey(mergeId);
    await client.send(new PutCommand({ TableName: testTableName(), Item: { ...key, reason: 'Both [erased] and [erased]', actor: 'staff' } }));

    const rewritten = await privacy().rewriteMergeRecord(
      mergeId,
      { set: { reason: 'Both [erased] and cus_B' }, remove: [] },
      { reason: 'Both cus_A and cus_B' },
    );

    expect(rewritten).toBe(false);
    expect((await readItem(key))?.reason).toBe('Both [erased] and [erased]');
  });
});

describe("an erase's rewrite of another customer's profile", () => {
  async function storedCustomer() {
    const { customerId } = await recordTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone: uniquePhone().e164 } }));
    const profile = await privacy().readProfile(customerId);
    if (!profile) throw new Error(`Customer ${customerId} was not stored`);
    return profile;
  }

  it('rewrites card attributes on the card item and the others on the profile item, under the card version', async () => {
    const { customerId, cardVersion } = await storedCustomer();
    const lastContact = { touchpointId: 'tp_x', channel: 'call', occurredAt: '2026-11-01T10:00:00.000Z', summary: '[erased]' };

    const rewritten = await privacy().rewriteProfileAttributes(customerId, { lastContact, displayName: '[erased]' }, cardVersion);

    expect(rewritten).toBe(true);
    const [profile, card] = [await readItem(profileKey(customerId)), await readItem(cardKey(customerId))];
    expect(card).toMatchObject({ lastContact });
    expect(card).not.toHaveProperty('displayName');
    expect(profile).toMatchObject({ displayName: '[erased]' });
    expect(profile).not.toHaveProperty('lastContact');
  });

  it('refuses a rewrite of either item when a card write came after the version read, and changes neither', async () => {
    const { customerId, cardVersion } = await storedCustomer();
    const before = [await readItem(profileKey(customerId)), await readItem(cardKey(customerId))];

    const onlyIdentity = await privacy().rewriteProfileAttributes(customerId, { displayName: '[erased]' }, (cardVersion ?? 0) - 1);
    const both = await privacy().rewriteProfileAttributes(customerId, { displayName: '[erased]', lateContacts: [] }, (cardVersion ?? 0) - 1);

    expect([onlyIdentity, both]).toEqual([false, false]);
    expect([await readItem(profileKey(customerId)), await readItem(cardKey(customerId))]).toEqual(before);
  });
});
