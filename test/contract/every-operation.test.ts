import { describe, expect, it } from 'vitest';
import { identityApi } from '../helpers/identity-api.ts';
import { useTestApiClient } from '../helpers/local-api.ts';
import { minutesAgo, touchpointBody, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * Every operation of the served document, driven over HTTP through the local API Gateway adapter
 * as a client developer meets it, answers of every kind included (shared identifiers, merged-away
 * customers, refusals). Each answer is held to the document by the json client's contract check;
 * the assertions here pin the status so that the path through the API is the one meant.
 */
const client = useTestApiClient({ authorizerCacheSeconds: 0 });
const api = identityApi(client);
const sendJson = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  client.send(method, path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

/** A call from a new customer, posted without `source` (the credential names it). */
async function newCustomer(identifiers: Record<string, unknown> = { phone: uniquePhone().international }) {
  const { source: _source, ...body } = touchpointBody({ identifiers });
  const response = await client.post('/v1/touchpoints', body);
  expect(response.status).toBe(201);
  return response.body as { touchpointId: string; customerId: string };
}

describe('the touchpoint routes answer as documented', () => {
  it('records a touchpoint sent without source, and replays it under its Idempotency-Key', async () => {
    const { source: _source, ...body } = touchpointBody({ occurredAt: minutesAgo(3) });
    const key = `contract-${unique()}`;

    const first = await client.post('/v1/touchpoints', body, { 'idempotency-key': key });
    const replay = await client.post('/v1/touchpoints', body, { 'idempotency-key': key });

    expect([first.status, replay.status]).toEqual([201, 200]);
  });

  it('answers an ingest that ties an anonymous visitor to a known customer with the merge it made', async () => {
    const anonymousId = `anon-${unique()}`;
    const email = uniqueEmail();
    await newCustomer({ anonymousId });
    await newCustomer({ email });

    const tying = await client.post('/v1/touchpoints', touchpointBody({ channel: 'web_visit', identifiers: { anonymousId, email } }));

    expect(tying.status).toBe(201);
    expect(tying.body.merges).toHaveLength(1);
  });

  it('answers a batch with one result per item, refused items as problems', async () => {
    const response = await client.post('/v1/touchpoints/batch', {
      items: [touchpointBody(), touchpointBody({ channel: 'email' }), { channel: 'call', identifiers: {} }],
    });

    expect(response.status).toBe(207);
    expect(response.body.results.map((result: { status: number }) => result.status)).toEqual([201, 201, 422]);
  });

  it('refuses bodies it cannot read: malformed, not JSON, too large, invalid', async () => {
    const malformed = await client.send('POST', '/v1/touchpoints', { body: '{', headers: { 'content-type': 'application/json' } });
    const notJson = await client.send('POST', '/v1/touchpoints', { body: 'hello', headers: { 'content-type': 'text/plain' } });
    const tooLarge = await sendJson('POST', '/v1/touchpoints', { ...touchpointBody(), summary: 'x'.repeat(300 * 1024) });
    const invalid = await client.post('/v1/touchpoints', { channel: 'call', identifiers: { phone: uniquePhone().international } });

    expect([malformed.status, notJson.status, tooLarge.status, invalid.status]).toEqual([400, 415, 413, 422]);
  });

  it('moves a touchpoint to another customer, and undoes the move by the id it answered', async () => {
    const from = await newCustomer();
    const to = await newCustomer();
    const moved = await api.move(from.touchpointId, to.customerId);

    const undone = await client.send('POST', `/v1/merges/${moved.body.mergeId}/undo`);
    const again = await client.send('POST', `/v1/merges/${moved.body.mergeId}/undo`);
    const back = await api.timeline(from.customerId);
    const trail = await api.merges(to.customerId);

    expect([moved.status, undone.status, again.status]).toEqual([200, 200, 200]);
    expect(undone.body).toMatchObject({ kind: 'move', status: 'undone' });
    expect(back.items.map((item) => item.touchpointId)).toContain(from.touchpointId);
    expect(trail.body.items.find((item: { mergeId: string }) => item.mergeId === moved.body.mergeId)?.status).toBe('undone');
  });
});

describe('the customer routes answer as documented', () => {
  it('finds a customer by an identifier, and says 404 and 422 when it cannot', async () => {
    const phone = uniquePhone();
    await newCustomer({ phone: phone.international });

    const found = await api.lookup('phone', phone.national);
    const unknown = await api.lookup('phone', uniquePhone().national);
    const twoIdentifiers = await client.get(`/v1/customers/lookup?phone=${encodeURIComponent(phone.e164)}&email=a%40b.example`);

    expect([found.status, unknown.status, twoIdentifiers.status]).toEqual([200, 404, 422]);
  });

  it('answers a lookup by a shared identifier with 300 and the candidates', async () => {
    const household = uniquePhone().international;
    const first = await newCustomer();
    const second = await newCustomer();
    await api.arrangeLink(first.customerId, { type: 'phone', value: household, shared: true });
    await api.arrangeLink(second.customerId, { type: 'phone', value: household, shared: true });

    const lookup = await api.lookup('phone', household);

    expect(lookup.status).toBe(300);
    expect(lookup.body.candidates).toHaveLength(2);
  });

  it('reads a customer, its timeline, its identifiers and its merges, and a merged-away id on the survivor', async () => {
    const target = await newCustomer();
    const source = await newCustomer({ email: uniqueEmail() });
    await api.arrangeMerge(target.customerId, source.customerId);

    const answers = await Promise.all([
      api.customer(source.customerId),
      client.get(`/v1/customers/${source.customerId}/timeline?limit=1&channel=call,email`),
      api.identifiers(target.customerId),
      api.merges(target.customerId),
      client.get(`/v1/customers/${source.customerId}/timeline?from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z`),
      api.customer(`cus_${'0'.repeat(26)}`),
    ]);

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 422, 404]);
  });

  it('lists a tier, patches a customer, records preferences without source and checks contact', async () => {
    const { customerId } = await newCustomer({ email: uniqueEmail() });

    const tier = await client.get('/v1/customers?tier=bronze&limit=5');
    const patched = await sendJson('PATCH', `/v1/customers/${customerId}`, { displayName: 'Ada Lovelace', traits: { plan: 'gold' } });
    const preferences = await sendJson('PUT', `/v1/customers/${customerId}/preferences`, {
      receivedVia: 'call',
      channels: { email: 'opted_out' },
      quietHours: { start: '21:00', end: '08:00', timeZone: 'Europe/London' },
    });
    const check = await client.get(`/v1/customers/${customerId}/contact-check?channel=email&purpose=marketing`);

    expect([tier.status, patched.status, preferences.status, check.status]).toEqual([200, 200, 200, 200]);
  });

  it('links and unlinks an identifier, and names the owner when it belongs to another customer', async () => {
    const owner = await newCustomer();
    const other = await newCustomer();
    const email = uniqueEmail();

    const linked = await api.link(owner.customerId, { type: 'email', value: email });
    const taken = await api.link(other.customerId, { type: 'email', value: email });
    const unlinked = await api.unlink(owner.customerId, 'email', email);

    expect([linked.status, taken.status, unlinked.status]).toEqual([201, 409, 204]);
  });

  it('merges, refuses to merge a merged-away customer again, undoes with no body, and lists and dismisses candidates', async () => {
    const target = await newCustomer();
    const source = await newCustomer();
    const third = await newCustomer();
    const { mergeId } = await api.arrangeMerge(target.customerId, source.customerId);

    const mergedAway = await api.merge(third.customerId, source.customerId);
    const undone = await client.send('POST', `/v1/merges/${mergeId}/undo`);
    const candidates = await api.candidates('?limit=10');
    const dismissUnknown = await client.send('POST', '/v1/merge-candidates/cand_unknown/dismiss');

    expect([mergedAway.status, undone.status, candidates.status, dismissUnknown.status]).toEqual([409, 200, 200, 404]);
    expect(mergedAway.body.mergedInto).toBe(target.customerId);
  });
});

describe('the key and privacy routes answer as documented', () => {
  it('creates, lists and revokes a key', async () => {
    const created = await client.post('/v1/keys', { name: `contract-${unique()}`, scopes: ['customers:read'] });
    const listed = await client.get('/v1/keys?limit=2');
    const revoked = await client.send('DELETE', `/v1/keys/${created.body.keyId}`);

    expect([created.status, listed.status, revoked.status]).toEqual([201, 200, 200]);
  });

  it('exports, shows the access log, erases with suppression and lifts the suppression', async () => {
    const { customerId } = await newCustomer();

    const exported = await client.get(`/v1/customers/${customerId}/export`);
    const accessLog = await client.get(`/v1/customers/${customerId}/access-log?limit=5`);
    const erased = await client.send('DELETE', `/v1/customers/${customerId}?suppress=true`);
    const lifted = await client.send('DELETE', `/v1/suppressions/${erased.body.suppressions[0].hash}`);

    expect([exported.status, accessLog.status, erased.status, lifted.status]).toEqual([200, 200, 200, 204]);
  });
});

describe('the meta routes and refusals answer as documented', () => {
  it('serves health without a credential and the document with one', async () => {
    const health = await client.send('GET', '/v1/health', { headers: { authorization: '' } });
    const document = await client.get('/v1/openapi.json');

    expect([health.status, document.status]).toEqual([200, 200]);
  });

  it('answers 401 without a credential and 403 with one it refuses', async () => {
    const missing = await client.send('GET', '/v1/keys', { headers: { authorization: '' } });
    const refused = await client.send('GET', '/v1/keys', { headers: { authorization: 'Bearer tpk_not-a-key-anyone-was-ever-given-0000' } });

    expect([missing.status, refused.status]).toEqual([401, 403]);
  });

  it('names a missing Bearer prefix in the 403', async () => {
    const bare = await client.send('GET', '/v1/keys', { headers: { authorization: 'tpk_not-a-key-anyone-was-ever-given-0000' } });

    expect(bare.status).toBe(403);
    expect(bare.body.detail).toContain('"Bearer " prefix is missing');
  });
});

describe('what a client developer meets', () => {
  it('says "is required" for a missing field, with the choices of a missing channel field', async () => {
    const response = await client.post('/v1/touchpoints', { channel: 'call', identifiers: { phone: uniquePhone().international }, details: {} });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      { path: 'details.direction', message: 'is required: one of inbound, outbound' },
      { path: 'details.durationSeconds', message: 'is required' },
    ]);
  });

  it('says an occurredAt without a UTC offset needs one', async () => {
    const response = await client.post('/v1/touchpoints', touchpointBody({ occurredAt: '2026-11-23T09:15:00' }));

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ path: 'occurredAt', message: expect.stringContaining('needs a UTC offset') }]);
  });

  it('takes the touchpoint channels call and letter on the contact check as phone and mail, and explains the others', async () => {
    const { customerId } = await newCustomer();

    const call = await client.get(`/v1/customers/${customerId}/contact-check?channel=call`);
    const letter = await client.get(`/v1/customers/${customerId}/contact-check?channel=letter`);
    const chat = await client.get(`/v1/customers/${customerId}/contact-check?channel=chat`);

    expect([call.status, call.body.channel, letter.status, letter.body.channel]).toEqual([200, 'phone', 200, 'mail']);
    expect(chat.status).toBe(422);
    expect(chat.body.errors[0].message).toContain('touchpoint channels no customer is contacted on');
  });

  it('answers a 204 with no content type', async () => {
    const { customerId } = await newCustomer();
    const email = uniqueEmail();
    await api.arrangeLink(customerId, { type: 'email', value: email });

    const unlinked = await api.unlink(customerId, 'email', email);

    expect(unlinked.status).toBe(204);
    expect(unlinked.headers.get('content-type')).toBeNull();
  });

  it('summarises a changed email permission as "an email identifier"', async () => {
    const email = uniqueEmail();
    const { customerId } = await newCustomer({ email });

    const response = await sendJson('PUT', `/v1/customers/${customerId}/preferences`, {
      receivedVia: 'email',
      identifiers: [{ type: 'email', value: email, marketing: 'opted_out' }],
    });

    expect(response.status).toBe(200);
    expect(response.body.changes).toContain('permissions of an email identifier changed');
  });
});
