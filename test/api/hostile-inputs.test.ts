import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as linkIdentifierHandler } from '../../functions/link-identifier/handler.ts';
import { handler as listIdentifiersHandler } from '../../functions/list-identifiers/handler.ts';
import { handler as unlinkIdentifierHandler } from '../../functions/unlink-identifier/handler.ts';
import { handler as updateCustomerHandler } from '../../functions/update-customer/handler.ts';
import { minutesAgo, touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';
import { apiEvent, type InvokeResult, invoke } from '../helpers/api-event.ts';
import { countItems, createTestTable } from '../helpers/dynamodb.ts';
import { getCustomer, getTimeline, lookupCustomer, postTouchpoint } from '../helpers/handlers.ts';
import { exportCustomer } from '../helpers/privacy-handlers.ts';

/**
 * Issue 10, class 2: generated hostile strings in every field that becomes a key or a name
 * (a DynamoDB map attribute, an expression attribute name, a key part, a JavaScript property),
 * through the real handlers against DynamoDB Local. Whatever the string: never a 500; a 4xx
 * stores nothing; a 2xx reads back exactly what was stored on get, lookup, timeline and export.
 */

const runs = Number(process.env.HOSTILE_RUNS ?? 20);

/** Names objects already answer to, DynamoDB reserved words, our key separators and sort keys, unicode edge cases, long strings. */
const hostileConstants = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
  'then',
  'length',
  'size',
  'status',
  'name',
  'value',
  'type',
  'data',
  'key',
  'SELECT',
  'DELETE',
  'AND',
  'OR',
  'NOT',
  'BETWEEN',
  'IN',
  'shared',
  'attribute_exists',
  'list_append',
  'if_not_exists',
  '#',
  ':',
  '#name',
  ':value',
  '.',
  'a.b',
  'a#b',
  'a:b',
  '[0]',
  'a[0].b',
  '#T',
  'T#',
  'T#~',
  'Z#PROFILE',
  'CUST#x',
  'IDENT#phone#+44',
  '~',
  '\u0000',
  'a\u0000b',
  '\u202eevil',
  'שלום עולם',
  'مرحبا',
  '😀',
  '👩‍👩‍👧‍👦',
  'e\u0301\u0301\u0301',
  'Z\u0351\u0362\u0338',
  '\u200b',
  '\ufeffbom',
  ' padded ',
  '\tTab\n',
  'line\nbreak',
  'cr\r\nlf',
  '%00',
  '%2F',
  '../..',
  '${x}',
  '{{x}}',
  '\\',
  '"',
  "'",
  '<script>',
  'null',
  'undefined',
  'NaN',
  '0',
  '-1',
  '\ud800',
  'a\udc00b',
  '\ud83d',
  'x'.repeat(1024),
  '😀'.repeat(300),
  'é'.repeat(400),
  'ﷺ'.repeat(100),
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...hostileConstants) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...hostileConstants), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}${b}`) },
);

/** The stored form of a `text(n)` field: zod trims it. */
const stored = (value: string) => value.trim();

beforeAll(createTestTable);

/** Sends a write; a 4xx must leave the table as it was. Returns the response for the read-back. */
async function writeChecked(write: () => Promise<InvokeResult>): Promise<InvokeResult> {
  const before = await countItems();
  const response = await write();
  expect(response.status, response.rawBody).toBeLessThan(500);
  if (response.status >= 400) {
    expect(response.body.type).toEqual(expect.any(String));
    expect(await countItems()).toBe(before);
  }
  return response;
}

function patchCustomer(customerId: string, body: unknown): Promise<InvokeResult> {
  return invoke(
    updateCustomerHandler,
    apiEvent({
      method: 'PATCH',
      routePath: '/v1/customers/{customerId}',
      path: `/v1/customers/${customerId}`,
      pathParameters: { customerId },
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    }),
  );
}

const customerRoute = (customerId: string, suffix: string, pathParameters: Record<string, string> = {}) => ({
  routePath: `/v1/customers/{customerId}${suffix}`,
  path: `/v1/customers/${customerId}${suffix}`,
  pathParameters: { customerId, ...pathParameters },
});

function linkIdentifier(customerId: string, body: unknown): Promise<InvokeResult> {
  return invoke(linkIdentifierHandler, apiEvent({ method: 'POST', ...customerRoute(customerId, '/identifiers'), body }));
}

async function listedIdentifiers(customerId: string): Promise<Array<{ type: string; value: string }>> {
  const response = await invoke(listIdentifiersHandler, apiEvent(customerRoute(customerId, '/identifiers')));
  expect(response.status).toBe(200);
  return response.body.identifiers.map(({ type, value }: { type: string; value: string }) => ({ type, value }));
}

function unlinkIdentifier(customerId: string, type: string, value: string): Promise<InvokeResult> {
  // API Gateway hands the handler the decoded path segment: any string, slashes and percent signs included.
  const route = customerRoute(customerId, '/identifiers/{type}/{value}', { type, value });
  return invoke(unlinkIdentifierHandler, apiEvent({ method: 'DELETE', ...route, path: `/v1/customers/${customerId}/identifiers/${type}/x` }));
}

/** Reads the customer every way there is and hands each answer to `check`. */
async function readEveryWay(customerId: string, check: (where: string, card: Record<string, unknown>) => void): Promise<void> {
  const got = await getCustomer(customerId);
  expect(got.status, got.rawBody).toBe(200);
  check('get', got.body.card);
  const exported = await exportCustomer(customerId);
  expect(exported.status, exported.rawBody).toBe(200);
  check('export', exported.body.card);
}

describe('hostile strings in fields that become keys or names', () => {
  it('invoice queryId and invoiceNumber: stored and shown on the card, timeline and export like any other string', async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, hostileString, async (queryId, invoiceNumber) => {
        const body = touchpointBody({
          channel: 'invoice_query',
          identifiers: { phone: uniquePhone().e164 },
          occurredAt: minutesAgo(5),
          details: { invoiceNumber, queryId, status: 'open' },
        });
        const response = await writeChecked(() => postTouchpoint(body));
        if (response.status !== 201) return;
        const { customerId } = response.body;
        await readEveryWay(customerId, (where, card) => {
          expect(card.openInvoiceQueries, where).toEqual([
            expect.objectContaining({ invoiceNumber: stored(invoiceNumber), queryId: stored(queryId), status: 'open' }),
          ]);
        });
        const timeline = await getTimeline(customerId);
        expect(timeline.status).toBe(200);
        expect(timeline.body.items[0].details).toMatchObject({ invoiceNumber: stored(invoiceNumber), queryId: stored(queryId) });
        const listed = await lookupCustomer({ customerId });
        expect(listed.status).toBe(200);
        expect(listed.body.card.openInvoiceQueries).toHaveLength(1);
      }),
      { numRuns: runs },
    );
  });

  it('a second query keyed by a prototype name never hides or replaces the first', async () => {
    const phone = uniquePhone().e164;
    for (const queryId of ['Q-1', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const response = await postTouchpoint(
        touchpointBody({
          channel: 'invoice_query',
          identifiers: { phone },
          occurredAt: minutesAgo(5),
          details: { invoiceNumber: 'INV-1', queryId, status: 'open' },
        }),
      );
      expect(response.status).toBe(201);
    }
    const { customerId } = (await lookupCustomer({ phone })).body.customer;

    await readEveryWay(customerId, (where, card) => {
      expect((card.openInvoiceQueries as Array<{ queryId: string }>).map((query) => query.queryId).sort(), where).toEqual(
        ['Q-1', '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf'].sort(),
      );
    });
  });

  it.each(['anonymousId', 'accountId', 'invoiceNumber'] as const)('identifier %s: stored, and the customer is found by it again', async (type) => {
    await fc.assert(
      fc.asyncProperty(hostileString, async (value) => {
        const response = await writeChecked(() => postTouchpoint(touchpointBody({ identifiers: { [type]: value }, occurredAt: minutesAgo(5) })));
        if (response.status !== 201) return;
        const found = await lookupCustomer({ [type]: stored(value) });
        expect(found.status, found.rawBody).toBe(200);
        expect(found.body.customer.customerId).toBe(response.body.customerId);
        expect(found.body.customer.identifiers).toContainEqual({ type, value: stored(value) });
        const timeline = await getTimeline(response.body.customerId);
        expect(timeline.body.items[0].identifiers[type]).toBe(stored(value));
      }),
      { numRuns: runs },
    );
  });

  it.each(['accountId', 'anonymousId', 'invoiceNumber'] as const)('a linked %s: listed, found by it, and unlinked by it as a path segment', async (type) => {
    const { customerId } = (await postTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 }, occurredAt: minutesAgo(5) }))).body;
    await fc.assert(
      fc.asyncProperty(hostileString, async (value) => {
        const response = await writeChecked(() => linkIdentifier(customerId, { type, value }));
        if (response.status !== 201) {
          expect(await listedIdentifiers(customerId)).not.toContainEqual({ type, value: stored(value) });
          return;
        }
        expect(await listedIdentifiers(customerId)).toContainEqual({ type, value: stored(value) });
        const found = await lookupCustomer({ [type]: stored(value) });
        expect(found.status, found.rawBody).toBe(200);
        expect(found.body.customer.customerId).toBe(customerId);
        const unlinked = await unlinkIdentifier(customerId, type, stored(value));
        expect(unlinked.status, unlinked.rawBody).toBe(204);
        expect(await listedIdentifiers(customerId)).not.toContainEqual({ type, value: stored(value) });
        expect((await lookupCustomer({ [type]: stored(value) })).status).toBe(404);
      }),
      { numRuns: runs },
    );
  });

  it('identifier externalId: any id of a system is stored and found again', async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, async (id) => {
        const response = await writeChecked(() =>
          postTouchpoint(touchpointBody({ identifiers: { externalId: { system: 'crm', id } }, occurredAt: minutesAgo(5) })),
        );
        if (response.status !== 201) return;
        const found = await lookupCustomer({ externalId: `crm:${stored(id)}` });
        expect(found.status, found.rawBody).toBe(200);
        expect(found.body.customer.customerId).toBe(response.body.customerId);
      }),
      { numRuns: runs, examples: [['line\nbreak'], ['__proto__'], ['a:b:c']] },
    );
  });

  it('trait names and values: a 200 reads back exactly, a 422 changes nothing, never a silent no-op', async () => {
    const { customerId } = (await postTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 }, occurredAt: minutesAgo(5) }))).body;
    await fc.assert(
      fc.asyncProperty(hostileString, hostileString, async (name, value) => {
        const before = (await getCustomer(customerId)).body.card.traits;
        const response = await writeChecked(() => patchCustomer(customerId, { traits: { [name]: value } }));
        const after = (await getCustomer(customerId)).body.card.traits;
        if (response.status === 200) {
          expect(response.body.card.traits[name]).toBe(value);
          expect(Object.hasOwn(after, name) && after[name]).toBe(value);
          // Undo, so that the trait count stays under its bound over many runs.
          expect((await patchCustomer(customerId, { traits: { [name]: null } })).status).toBe(200);
        } else {
          // 422 for a name or value our rules refuse, 400 for a body the JSON guard refuses (a lone surrogate).
          expect([400, 422]).toContain(response.status);
          expect(after).toEqual(before);
        }
      }),
      { numRuns: runs },
    );
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])(
    'a trait named %s either works as a trait or is a 422, never a silent 200',
    async (name) => {
      const { customerId } = (await postTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 }, occurredAt: minutesAgo(5) }))).body;

      const response = await patchCustomer(customerId, { traits: { [name]: 'x' } });

      if (response.status === 200) {
        expect(Object.hasOwn(response.body.card.traits, name)).toBe(true);
        expect((await getCustomer(customerId)).body.card.traits[name]).toBe('x');
        expect((await exportCustomer(customerId)).body.card.traits[name]).toBe('x');
      } else {
        expect(response.status).toBe(422);
        expect(response.body.errors).toEqual([expect.objectContaining({ path: `traits.${name}` })]);
      }
    },
  );

  it('a __proto__ key anywhere in a body is a 422 naming it, not dropped', async () => {
    const body = `{"channel":"call","identifiers":{"phone":"${uniquePhone().e164}"},"source":"s","details":{"direction":"inbound","durationSeconds":1},"__proto__":{"value":5}}`;
    const before = await countItems();

    const response = await postTouchpoint(body, { 'content-type': 'application/json' });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: '__proto__' })]);
    expect(await countItems()).toBe(before);
  });

  it('source (the idempotency scope, part of a key) and summary: stored, shown on the timeline and replayed exactly', async () => {
    let request = 0;
    await fc.assert(
      fc.asyncProperty(hostileString, hostileString, async (source, summary) => {
        request += 1;
        const body = touchpointBody({ identifiers: { phone: uniquePhone().e164 }, occurredAt: minutesAgo(5), source, summary });
        const headers = { 'idempotency-key': `hostile#${request}:~` };
        const response = await writeChecked(() => postTouchpoint(body, headers));
        if (response.status !== 201) return;
        const timeline = await getTimeline(response.body.customerId);
        expect(timeline.body.items[0]).toMatchObject({ source: stored(source), summary: stored(summary) });
        const replay = await postTouchpoint(body, headers);
        expect(replay.status).toBe(200);
        expect(replay.body).toMatchObject({ touchpointId: response.body.touchpointId, replayed: true });
      }),
      { numRuns: runs },
    );
  });
});

describe('touchpoints older than their retention', () => {
  it.each([
    ['a web visit 14 months ago', 'web_visit', new Date(Date.now() - 14 * 31 * 86_400_000).toISOString(), /13-month retention of web_visit/],
    ['a call 8 years ago', 'call', new Date(Date.now() - 8 * 366 * 86_400_000).toISOString(), /84-month retention of call/],
    ['a call in year 0000', 'call', '0000-01-01T00:00:00Z', /retention/],
    ['an email in year 0001', 'email', '0001-06-30T12:00:00Z', /retention/],
  ] as const)('refuses %s with 422 naming the retention, storing nothing', async (_kind, channel, occurredAt, message) => {
    const before = await countItems();

    const response = await postTouchpoint(touchpointBody({ channel, identifiers: { phone: uniquePhone().e164 }, occurredAt }));

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'occurredAt', message: expect.stringMatching(message) })]);
    expect(await countItems()).toBe(before);
  });

  it('accepts a web visit 12 months ago', async () => {
    const occurredAt = new Date(Date.now() - 365 * 86_400_000).toISOString();

    const response = await postTouchpoint(touchpointBody({ channel: 'web_visit', identifiers: { phone: uniquePhone().e164 }, occurredAt }));

    expect(response.status).toBe(201);
  });
});
