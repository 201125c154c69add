import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler as createApiKeyHandler } from '../../functions/create-api-key/handler.ts';
import { handler as listApiKeysHandler } from '../../functions/list-api-keys/handler.ts';
import { handler as revokeApiKeyHandler } from '../../functions/revoke-api-key/handler.ts';
import { documentClient } from '../../shared/db/client.ts';
import { type FaultInjector, injectDynamoDbFaults } from '../../shared/db/fault-injection.ts';
import { apiEvent, type InvokeResult, invoke } from '../helpers/api-event.ts';
import { createTestTable, itemsOfEntity, scanTable } from '../helpers/dynamodb.ts';
import { unique } from '../fixtures/touchpoints.ts';

/** Key admin through the handlers: all or nothing, a retry answers as the first try, names never 500. */
function createKey(body: unknown, headers: Record<string, string> = {}): Promise<InvokeResult> {
  return invoke(createApiKeyHandler, apiEvent({ method: 'POST', routePath: '/v1/keys', body, headers }));
}

function revokeKey(keyId: string): Promise<InvokeResult> {
  return invoke(revokeApiKeyHandler, apiEvent({ method: 'DELETE', routePath: '/v1/keys/{keyId}', path: `/v1/keys/${keyId}`, pathParameters: { keyId } }));
}

async function allKeys(): Promise<Array<{ keyId: string; name: string }>> {
  const page = await invoke(listApiKeysHandler, apiEvent({ routePath: '/v1/keys', query: { limit: '200' } }));
  return page.body.items;
}

const scopes = ['touchpoints:write:web_visit'];
let faults: FaultInjector | undefined;

beforeAll(async () => {
  await createTestTable();
});

afterEach(() => {
  faults?.detach();
  faults = undefined;
});

/** Only the n-th call of a command fails (counting from 1), with the given kind of fault. */
function failNth(command: string, n: number, kind: 'lost-response' | 'transaction-throttle' | 'throttle') {
  let seen = 0;
  faults = injectDynamoDbFaults(documentClient(), {
    rate: 0.5,
    kinds: [kind],
    commands: [command],
    // Two draws per call: the roll decides, the pick chooses among one kind.
    random: () => {
      seen += 1;
      return Math.ceil(seen / 2) === n ? 0 : 0.999;
    },
  });
}

describe('key names', () => {
  it('refuses a second key of a name with 409 naming the key that has it, and stores nothing', async () => {
    const name = `site-${unique()}`;
    const first = await createKey({ name, scopes });
    const before = await scanTable();

    const second = await createKey({ name, scopes: ['customers:read'] });

    expect(first.status).toBe(201);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ name, keyId: first.body.keyId });
    expect(await scanTable()).toEqual(before);
  });

  it('lets a key of the same name rotate the old one with "replaces"', async () => {
    const name = `site-${unique()}`;
    const old = await createKey({ name, scopes });

    const rotated = await createKey({ name, scopes, replaces: old.body.keyId });
    const third = await createKey({ name, scopes, replaces: old.body.keyId });

    expect(rotated.status).toBe(201);
    expect(rotated.body.keyId).not.toBe(old.body.keyId);
    expect(third.status).toBe(201);
    expect((await createKey({ name, scopes })).body.keyId).toBe(third.body.keyId);
  });

  it("keeps a revoked key's name for its system: a new key of it must replace the revoked one", async () => {
    const name = `site-${unique()}`;
    const old = await createKey({ name, scopes });
    await revokeKey(old.body.keyId);

    const plain = await createKey({ name, scopes });
    const replacing = await createKey({ name, scopes, replaces: old.body.keyId });

    expect(plain.status).toBe(409);
    expect(replacing.status).toBe(201);
  });

  it('refuses "replaces" naming a key of another name, or no key, with 422', async () => {
    const other = await createKey({ name: `other-${unique()}`, scopes });

    const wrongName = await createKey({ name: `site-${unique()}`, scopes, replaces: other.body.keyId });
    const nobody = await createKey({ name: `site-${unique()}`, scopes, replaces: 'key_00000000000000000000' });

    expect(wrongName.status).toBe(422);
    expect(wrongName.body.errors).toEqual([expect.objectContaining({ path: 'replaces' })]);
    expect(nobody.status).toBe(422);
  });

  const hostileNames = [
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'null',
    'undefined',
    'true',
    'name',
    'status',
    'size',
    'count',
    'a#b',
    '#',
    'APIKEY#key_0',
    'x'.repeat(64),
    'x'.repeat(65),
    'x'.repeat(1024),
    '',
    ' ',
    'bill ing',
    'bílling',
    '\u202ebilling',
    'billing\u0000',
    '\ud83d\ude00',
    'e\u0301',
    '../etc',
    '%2e%2e',
    '${jndi}',
    "'; DROP TABLE",
    'billing\n',
    '.hidden',
    '-dash',
  ];

  it.each(hostileNames.map((name) => [JSON.stringify(name).slice(0, 40), name] as const))(
    'answers a key named %s with 201 or 422, never a 5xx, and lists what it created',
    async (_label, name) => {
      const response = await createKey({ name, scopes }, { 'idempotency-key': `hostile-${unique()}` });

      expect([201, 409, 422]).toContain(response.status);
      if (response.status === 201) expect((await allKeys()).map((key) => key.keyId)).toContain(response.body.keyId);
    },
  );

  it.each([
    ['replaces', { replaces: '__proto__' }],
    ['replaces', { replaces: `key_${'f'.repeat(1024)}` }],
    ['scopes', { scopes: ['__proto__'] }],
    ['scopes', { scopes: ['customers:read', 'customers:read'] }],
    ['scopes', { scopes: 'customers:read' }],
    ['the body', { ['__proto__']: { admin: true } }],
  ])('answers a hostile %s with 422, never a 5xx', async (_field, extra) => {
    const response = await createKey({ name: `site-${unique()}`, scopes, ...extra });

    expect(response.status).toBe(422);
  });

  it('accepts prototype names and reserved words that are valid names once each', async () => {
    const results = await Promise.all(['constructor', 'toString', 'status'].map((name) => createKey({ name: `${name}`, scopes })));

    for (const result of results) expect([201, 409]).toContain(result.status);
    expect((await itemsOfEntity('apiKeyName')).map((item) => item.name)).toEqual(expect.arrayContaining(['constructor', 'toString', 'status']));
  });
});

describe('creating a key with an Idempotency-Key', () => {
  it('answers a retry 200 with the key it made, without the key itself, and stores nothing more', async () => {
    const headers = { 'idempotency-key': `create-${unique()}` };
    const body = { name: `site-${unique()}`, scopes };
    const first = await createKey(body, headers);
    const before = await scanTable();

    const retry = await createKey(body, headers);

    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ...first.body, key: undefined, replayed: true });
    expect(retry.body).not.toHaveProperty('key');
    expect(retry.headers['cache-control']).toBe('no-store');
    expect(await scanTable()).toEqual(before);
  });

  it('keeps the retry record of a staff token whose subject is as long as a token may bring', async () => {
    const staff = { clientId: `jwt:${'\u4e2d'.repeat(296)}`, clientName: 'console', scopes: 'keys:admin' };
    const send = () =>
      invoke(
        createApiKeyHandler,
        apiEvent({
          method: 'POST',
          routePath: '/v1/keys',
          body: { name: 'long-subject', scopes },
          headers: { 'idempotency-key': 'k'.repeat(255) },
          authorizer: staff,
        }),
      );

    const first = await send();
    const retry = await send();

    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
  });

  it('answers 409 for the same Idempotency-Key with another request', async () => {
    const headers = { 'idempotency-key': `create-${unique()}` };
    await createKey({ name: `site-${unique()}`, scopes }, headers);

    const reuse = await createKey({ name: `site-${unique()}`, scopes }, headers);

    expect(reuse.status).toBe(409);
    expect(reuse.body.type).toMatch(/idempotency-conflict$/);
  });

  it('answers the retry of a creation whose answer was lost with the key it made', async () => {
    const headers = { 'idempotency-key': `create-${unique()}` };
    const body = { name: `site-${unique()}`, scopes };
    failNth('TransactWriteItemsCommand', 1, 'lost-response');
    const lost = await createKey(body, headers);
    faults?.detach();

    const retry = await createKey(body, headers);
    const withoutKey = await createKey(body);

    expect(lost.status).toBe(503);
    expect(retry.status).toBe(200);
    expect((await allKeys()).filter((key) => key.name === body.name)).toEqual([expect.objectContaining({ keyId: retry.body.keyId })]);
    expect(withoutKey).toMatchObject({ status: 409, body: { keyId: retry.body.keyId } });
  });

  it('stores nothing when the creation fails, and creates the key on the retry', async () => {
    const body = { name: `site-${unique()}`, scopes };
    failNth('TransactWriteItemsCommand', 1, 'transaction-throttle');
    const before = await scanTable();
    const failed = await createKey(body, { 'idempotency-key': `create-${unique()}` });
    const after = await scanTable();
    faults?.detach();

    const retry = await createKey(body);

    expect(failed.status).toBe(503);
    expect(after).toEqual(before);
    expect(retry.status).toBe(201);
  });
});

describe('key admin under concurrency', () => {
  it('gives a name to one of several keys created at once, and answers the others 409', async () => {
    const name = `site-${unique()}`;

    const answers = await Promise.all(Array.from({ length: 6 }, () => createKey({ name, scopes })));

    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect((await allKeys()).filter((key) => key.name === name)).toHaveLength(1);
  });

  it('makes one key of several tries sent at once with one Idempotency-Key, and answers each with it', async () => {
    const body = { name: `site-${unique()}`, scopes };
    const headers = { 'idempotency-key': `create-${unique()}` };

    const answers = await Promise.all(Array.from({ length: 6 }, () => createKey(body, headers)));

    const made = (await allKeys()).filter((key) => key.name === body.name);
    expect(made).toHaveLength(1);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((answer) => answer.body.keyId))).toEqual(new Set([made[0]?.keyId]));
  });
});

describe('revoking a key', () => {
  it('answers a second revocation exactly like the first', async () => {
    const created = await createKey({ name: `site-${unique()}`, scopes });
    const first = await revokeKey(created.body.keyId);

    const second = await revokeKey(created.body.keyId);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it('answers the retry of a revocation whose answer was lost with the revocation that committed', async () => {
    const created = await createKey({ name: `site-${unique()}`, scopes });
    failNth('UpdateItemCommand', 1, 'lost-response');
    const lost = await revokeKey(created.body.keyId);
    faults?.detach();
    const [stored] = (await itemsOfEntity('apiKey')).filter((item) => item.keyId === created.body.keyId);

    const retry = await revokeKey(created.body.keyId);

    expect(lost.status).toBe(503);
    expect(stored?.revokedAt).toEqual(expect.any(String));
    expect(retry.status).toBe(200);
    expect(retry.body.revokedAt).toBe(stored?.revokedAt);
  });
});
