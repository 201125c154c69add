import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../shared/db/client.ts';
import { profileKey } from '../../shared/db/keys.ts';
import { minutesAgo, touchpointBody, unique, uniquePhone } from '../fixtures/touchpoints.ts';
import { countItems, scanTable, testTableName } from '../helpers/dynamodb.ts';
import { findTraces } from '../helpers/erased-traces.ts';
import { person } from '../helpers/erase-graphs.ts';
import { identityApi } from '../helpers/identity-api.ts';
import { useTestApiClient } from '../helpers/local-api.ts';

/** What holds around an erase: replays, suppression on every route that adds an identifier, repairs, locks. */
const client = useTestApiClient();
const api = identityApi(client);

const erase = (customerId: string, query = '') => client.send('DELETE', `/v1/customers/${customerId}${query}`);

describe('after an erase', () => {
  it('a replay of an Idempotency-Key the erased customer used answers without its id; for a touchpoint moved to another, with where it is now', async () => {
    const erased = await person(api, 60);
    const other = await person(api, 50);
    const ownKey = `own-${unique()}`;
    const movedKey = `moved-${unique()}`;
    const ownBody = touchpointBody({ identifiers: { phone: erased.phone }, occurredAt: minutesAgo(40) });
    const movedBody = touchpointBody({ identifiers: { phone: erased.phone }, occurredAt: minutesAgo(30) });
    await client.post('/v1/touchpoints', ownBody, { 'idempotency-key': ownKey });
    const moved = await client.post('/v1/touchpoints', movedBody, { 'idempotency-key': movedKey });
    expect((await api.move(moved.body.touchpointId, other.customerId)).status).toBe(200);

    expect((await erase(erased.customerId)).status).toBe(200);
    const ownReplay = await client.post('/v1/touchpoints', ownBody, { 'idempotency-key': ownKey });
    const movedReplay = await client.post('/v1/touchpoints', movedBody, { 'idempotency-key': movedKey });

    // The erased request is forgotten: its replay is a new request, recorded on a new customer.
    expect(ownReplay.status).toBe(201);
    expect(JSON.stringify(ownReplay.body)).not.toContain(erased.customerId);
    expect(movedReplay.status).toBe(200);
    expect(movedReplay.body).toMatchObject({ replayed: true, touchpointId: moved.body.touchpointId });
    expect(JSON.stringify(movedReplay.body)).not.toContain(erased.customerId);
    expect(movedReplay.body).toMatchObject({ customerId: other.customerId, customerCreated: false });
    expect(findTraces(await scanTable(), [erased.customerId, erased.email])).toEqual([]);
  });

  it('a suppressed identifier cannot be linked either: 409 identifier-suppressed, nothing stored', async () => {
    const erased = await person(api, 60);
    const other = await person(api, 50);
    expect((await erase(erased.customerId, '?suppress=true')).status).toBe(200);
    const before = await countItems();

    const linked = await api.link(other.customerId, { type: 'phone', value: erased.phone });
    const shared = await api.link(other.customerId, { type: 'email', value: erased.email, shared: true });

    expect([linked.status, shared.status]).toEqual([409, 409]);
    expect(linked.body.type).toMatch(/identifier-suppressed/);
    expect(await countItems()).toBe(before);
  });

  it('suppresses only what nobody else holds: a shared landline stays usable by the household', async () => {
    const owner = await person(api, 60);
    const sharer = await person(api, 50);
    await api.arrangeLink(sharer.customerId, { type: 'phone', value: owner.phone, shared: true });

    const erased = await erase(owner.customerId, '?suppress=true');
    const call = await api.postTouchpoint(touchpointBody({ identifiers: { phone: owner.phone } }));

    expect(erased.body.suppressions.map((suppression: { type: string }) => suppression.type)).toEqual(['email']);
    expect(call.status).toBe(201);
    expect(call.body.customerId).toBe(sharer.customerId);
  });

  it('a merge that took a phone the erased customer shared is undone without them: the phone goes back to its owner alone', async () => {
    const owner = await person(api, 90);
    const sharer = await person(api, 60);
    const survivor = await person(api, 30);
    await api.arrangeLink(sharer.customerId, { type: 'phone', value: owner.phone, shared: true });
    const { mergeId } = await api.arrangeMerge(survivor.customerId, owner.customerId);

    expect((await erase(sharer.customerId)).status).toBe(200);
    const [merge] = (await api.merges(survivor.customerId)).body.items;
    const undone = await api.undo(mergeId);
    const call = await api.postTouchpoint(touchpointBody({ identifiers: { phone: owner.phone } }));

    expect(merge.identifierStates).toContainEqual({
      identifier: { type: 'phone', value: owner.phone },
      before: { customerId: owner.customerId, sharedWith: [] },
      after: { customerId: survivor.customerId, sharedWith: [] },
    });
    expect(undone.status).toBe(200);
    expect(call.body.customerId).toBe(owner.customerId);
    expect(findTraces(await scanTable(), [sharer.customerId, sharer.phone, sharer.email])).toEqual([]);
  });

  it('unlinking an identifier of an erased customer answers 404, not 500', async () => {
    const erased = await person(api, 60);
    expect((await erase(erased.customerId)).status).toBe(200);

    const unlinked = await api.unlink(erased.customerId, 'phone', erased.phone);

    expect(unlinked.status).toBe(404);
  });
});

describe('an erase that cannot start', () => {
  it('is refused with 409 while an undo holds the customer, changing nothing, and goes through once the lock is gone', async () => {
    const erased = await person(api, 60);
    const lock = (expression: string) =>
      documentClient().send(
        new UpdateCommand({
          TableName: testTableName(),
          Key: profileKey(erased.customerId),
          UpdateExpression: expression,
          ExpressionAttributeNames: { '#lock': 'identityLock' },
          ...(expression.startsWith('SET') ? { ExpressionAttributeValues: { ':merge': `mrg_${unique()}` } } : {}),
        }),
      );
    await lock('SET #lock = :merge');
    const before = await countItems();

    const refused = await erase(erased.customerId);
    const after = await countItems();
    await lock('REMOVE #lock');
    const accepted = await erase(erased.customerId);

    expect(refused.status).toBe(409);
    expect(after).toBe(before);
    expect((await api.customer(erased.customerId)).status).toBe(404);
    expect(accepted.status).toBe(200);
  });

  it('answers 404 for a phone-shaped id and a customer nobody has', async () => {
    expect((await erase('cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB')).status).toBe(404);
    expect((await erase(encodeURIComponent(uniquePhone().e164))).status).toBe(422);
  });
});

describe('redacting the person in the records it reaches', () => {
  it('takes out its email in the case it was posted and its phone in every written form, in summaries, notes and a move reason', async () => {
    const mobile = `+4474${String(Date.now()).slice(-8)}`;
    const national = `0${mobile.slice(3, 7)} ${mobile.slice(7)}`;
    const erased = await person(api, 60, { phone: mobile });
    const posted = erased.email.replace(/^./, (first) => first.toUpperCase()).replace('@example', '@Example');
    expect(posted).not.toBe(erased.email);
    const neighbour = await person(api, 50);
    const account = `ACC-${unique()}`;
    await api.arrangeLink(neighbour.customerId, { type: 'accountId', value: account });
    // A touchpoint of the neighbour's that carried the person's email (a mention), quoting it in free text.
    await api.arrangeTouchpoint(
      touchpointBody({
        channel: 'email',
        identifiers: { accountId: account, email: posted },
        summary: `Forwarded by ${posted}, call back on ${national.replace(' ', '')}`,
        details: {
          direction: 'inbound',
          messageId: `<m-${unique()}@mail.example.com>`,
          subject: `Re: ${posted.toUpperCase()}`,
          from: posted,
          to: ['care@example.org'],
        },
        occurredAt: minutesAgo(40),
      }),
    );
    // A touchpoint of the person's, moved to the neighbour with a reason quoting the person.
    const moved = await api.arrangeTouchpoint(
      touchpointBody({ identifiers: { email: erased.email }, summary: `Caller ${posted} on ${national}`, occurredAt: minutesAgo(30) }),
    );
    const move = await client.post(`/v1/touchpoints/${moved.touchpointId}/move`, {
      customerId: neighbour.customerId,
      reason: `It was ${posted}'s husband, ring +44 ${national.slice(1)}`,
    });
    expect(move.status).toBe(200);

    expect((await erase(erased.customerId)).status).toBe(200);

    const table = JSON.stringify(await scanTable()).toLowerCase();
    const digits = mobile.slice(3);
    for (const form of [erased.email, erased.customerId.toLowerCase(), digits, national.replace(' ', ''), national]) {
      expect(table, `the table still holds ${form}`).not.toContain(form.toLowerCase());
    }
    const timeline = await api.timeline(neighbour.customerId);
    expect(JSON.stringify(timeline.items)).toContain('[erased]');
    expect(timeline.items.length).toBeGreaterThanOrEqual(3);
  });
});
