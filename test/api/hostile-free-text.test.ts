import { describe, expect, it } from 'vitest';
import { countItems } from '../helpers/dynamodb.ts';
import { useTestApiClient } from '../helpers/local-api.ts';
import { touchpointBody, unique, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * Hostile strings in the free-text and header fields of the identity and preference routes, over
 * the local HTTP server: never a 5xx; a refusal stores nothing; what is accepted reads back exactly
 * (trimmed, as the schemas trim). `test/api/hostile-inputs.test.ts` covers the fields that become keys.
 */
const client = useTestApiClient();

/** CI tries every fifth string of each list; the soak (`HOSTILE_RUNS` of 100 or more) tries them all. */
const everyOne = Number(process.env.HOSTILE_RUNS ?? 20) >= 100;
const sample = <T>(list: T[]): T[] => (everyOne ? list : list.filter((_, index) => index % 5 === 0));

const hostileText = sample([
  '__proto__',
  'constructor',
  'toString',
  'shared',
  'SELECT',
  '#',
  ':',
  '#name',
  ':value',
  'a.b',
  'T#~',
  'Z#PROFILE',
  'CUST#x',
  '\u0000',
  'a\u0000b',
  '\u202eevil',
  'שלום',
  '👩‍👩‍👧‍👦',
  'e\u0301\u0301',
  '\ufeffbom',
  ' padded ',
  'line\nbreak',
  '%2F',
  '../..',
  '${x}',
  '"',
  '<script>',
  'null',
  '\ud800',
  'a\udc00b',
  'x'.repeat(500),
  'x'.repeat(501),
  '😀'.repeat(250),
  '',
]);

/** Header values fetch can send (a ByteString without control characters); the others never reach a server. */
const hostileHeaders = sample([
  '__proto__',
  'constructor',
  '#',
  ':',
  'T#~',
  'Z#PROFILE',
  'IDEM#x',
  ' padded ',
  '%2F',
  '../..',
  '${x}',
  '"',
  '<script>',
  'null',
  'é',
  'x'.repeat(200),
  'x'.repeat(201),
  'a,b',
  ';',
]);

async function customer(): Promise<string> {
  const posted = await client.post('/v1/touchpoints', touchpointBody({ channel: 'call', identifiers: { phone: uniquePhone().e164 } }));
  expect(posted.status).toBe(201);
  return posted.body.customerId as string;
}

describe('hostile free text on identity routes', () => {
  it.each(hostileText.map((text) => [JSON.stringify(text).slice(0, 40), text] as const))('merge reason and requestedBy %s', async (_shown, text) => {
    const [target, source] = [await customer(), await customer()];
    const before = await countItems();

    const merged = await client.post(`/v1/customers/${target}/merge`, { sourceCustomerId: source, reason: text, requestedBy: text });

    expect(merged.status, JSON.stringify(merged.body)).toBeLessThan(500);
    if (merged.status >= 400) {
      expect(await countItems()).toBe(before);
      return;
    }
    const merges = await client.get(`/v1/customers/${target}/merges`);
    expect(merges.status).toBe(200);
    expect(JSON.stringify(merges.body)).toContain(JSON.stringify(text.trim()).slice(1, -1));
    const undone = await client.post(`/v1/merges/${merged.body.mergeId}/undo`, { reason: text, requestedBy: text });
    expect(undone.status, JSON.stringify(undone.body)).toBeLessThan(300);
  });

  it.each(hostileText.map((text) => [JSON.stringify(text).slice(0, 40), text] as const))('move reason %s', async (_shown, text) => {
    const posted = await client.post('/v1/touchpoints', touchpointBody({ channel: 'call', identifiers: { phone: uniquePhone().e164 } }));
    const other = await customer();
    const before = await countItems();

    const moved = await client.post(`/v1/touchpoints/${posted.body.touchpointId}/move`, { customerId: other, reason: text });

    expect(moved.status, JSON.stringify(moved.body)).toBeLessThan(500);
    if (moved.status >= 400) expect(await countItems()).toBe(before);
    else expect(JSON.stringify((await client.get(`/v1/customers/${other}/merges`)).body)).toContain(JSON.stringify(text.trim()).slice(1, -1));
  });

  it.each(hostileText.map((text) => [JSON.stringify(text).slice(0, 40), text] as const))('preferences source and time zone %s', async (_shown, text) => {
    const customerId = await customer();
    const before = await countItems();

    const put = await client.send('PUT', `/v1/customers/${customerId}/preferences`, {
      body: JSON.stringify({ receivedVia: 'call', source: text, quietHours: { start: '21:00', end: '08:00', timeZone: text } }),
      headers: { 'content-type': 'application/json' },
    });

    expect(put.status, JSON.stringify(put.body)).toBeLessThan(500);
    if (put.status >= 400) expect(await countItems()).toBe(before);
  });
});

describe('hostile Idempotency-Key headers', () => {
  it.each(hostileHeaders.map((key) => [JSON.stringify(key).slice(0, 40), key] as const))(
    'on a batch %s: never a 5xx; accepted twice, stored once',
    async (_shown, raw) => {
      const key = `${raw}${unique()}`.slice(-200);
      const body = { items: [touchpointBody({ channel: 'call', identifiers: { phone: uniquePhone().e164 } })] };
      const before = await countItems();

      const first = await client.post('/v1/touchpoints/batch', body, { 'idempotency-key': key });
      expect(first.status, JSON.stringify(first.body)).toBeLessThan(500);
      if (first.status >= 400) {
        expect(await countItems()).toBe(before);
        return;
      }
      const afterFirst = await countItems();
      const again = await client.post('/v1/touchpoints/batch', body, { 'idempotency-key': key });
      expect(again.status).toBeLessThan(300);
      expect(again.body.results.map((result: { touchpointId: string }) => result.touchpointId)).toEqual(
        first.body.results.map((result: { touchpointId: string }) => result.touchpointId),
      );
      expect(await countItems()).toBe(afterFirst);
    },
  );

  it.each(hostileHeaders.map((key) => [JSON.stringify(key).slice(0, 40), key] as const))(
    'on a merge %s: never a 5xx; a retry answers the same merge',
    async (_shown, raw) => {
      const [target, source] = [await customer(), await customer()];
      const key = `${raw}${unique()}`.slice(-200);

      const first = await client.post(`/v1/customers/${target}/merge`, { sourceCustomerId: source, reason: 'same person' }, { 'idempotency-key': key });
      expect(first.status, JSON.stringify(first.body)).toBeLessThan(500);
      if (first.status >= 400) return;
      const again = await client.post(`/v1/customers/${target}/merge`, { sourceCustomerId: source, reason: 'same person' }, { 'idempotency-key': key });
      expect(again.status).toBeLessThan(300);
      expect(again.body.mergeId).toBe(first.body.mergeId);
    },
  );
});
