import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../shared/auth/api-keys.ts';
import { registerBootstrapKey } from '../../shared/auth/bootstrap-key.ts';
import { dynamoApiKeyStore } from '../../shared/db/api-key-store.ts';
import { createDocumentClient } from '../../shared/db/client.ts';
import { scanTable, testTableName } from '../helpers/dynamodb.ts';
import { jsonClient } from '../helpers/json-client.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
let api: TestApi;

beforeAll(async () => {
  // No authorizer cache: a revocation shows at once (in AWS it takes up to the cache TTL).
  api = await startTestApi({ authorizerCacheSeconds: 0 });
});

afterAll(async () => {
  await api?.close();
});

/** The keys CLI as `npm run keys --` runs it, against this file's table. */
async function keysCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'dev/keys.ts', ...args], {
      cwd: projectRoot,
      env: { ...process.env, TABLE_NAME: testTableName() },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('API keys through the admin routes', () => {
  it('creates a key shown once, which then works for its scopes only', async () => {
    const created = await api.client.post('/v1/keys', { name: 'billing', scopes: ['touchpoints:write:invoice_query'] });
    const billing = jsonClient(api.url, { authorization: `Bearer ${created.body.key}` });

    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body).toMatchObject({ keyId: expect.stringMatching(/^key_[0-9a-f]{20}$/), name: 'billing', revokedAt: null });
    expect((await billing.get('/v1/openapi.json')).status).toBe(200);
    expect((await billing.get('/v1/customers/lookup?phone=02079460018')).status).toBe(403);
  });

  it('stores only the hash of a key, never the key', async () => {
    const created = await api.client.post('/v1/keys', { name: 'website', scopes: ['touchpoints:write:web_visit'] });

    const table = JSON.stringify(await scanTable());

    expect(table).not.toContain(created.body.key);
    expect(table).toContain(hashApiKey(created.body.key));
  });

  it('lists keys with their prefix and scopes, never the key', async () => {
    const created = await api.client.post('/v1/keys', { name: 'call-centre', scopes: ['customers:read', 'touchpoints:write:call'] });

    const listed = await api.client.get('/v1/keys?limit=200');

    const entry = listed.body.items.find((item: { keyId: string }) => item.keyId === created.body.keyId);
    expect(entry).toMatchObject({ name: 'call-centre', scopes: ['customers:read', 'touchpoints:write:call'], prefix: `${created.body.key.slice(0, 8)}...` });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
  });

  it('revokes a key: it is refused from then on (here with no authorizer cache)', async () => {
    const created = await api.client.post('/v1/keys', { name: 'old-billing', scopes: ['customers:read'] });
    const old = jsonClient(api.url, { authorization: `Bearer ${created.body.key}` });
    const before = await old.get('/v1/openapi.json');

    const revoked = await api.client.send('DELETE', `/v1/keys/${created.body.keyId}`);
    const after = await old.get('/v1/openapi.json');

    expect(before.status).toBe(200);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect(after.status).toBe(403);
  });

  it('answers 404 for revoking a key nobody issued and 422 for a malformed id or body', async () => {
    expect((await api.client.send('DELETE', '/v1/keys/key_00000000000000000000')).status).toBe(404);
    expect((await api.client.send('DELETE', '/v1/keys/nope')).status).toBe(422);
    expect((await api.client.post('/v1/keys', { name: 'x', scopes: ['everything'] })).status).toBe(422);
    expect((await api.client.post('/v1/keys', { name: 'x y', scopes: ['customers:read'] })).status).toBe(422);
  });
});

describe('one name, one system, one idempotency scope', () => {
  const visit = () => ({
    channel: 'web_visit',
    identifiers: { anonymousId: `ck-${Date.now()}-${Math.random().toString(36).slice(2)}` },
    details: { url: 'https://shop.example/' },
  });

  it('lets a rotated key replay what the key it replaces recorded, with the same Idempotency-Key', async () => {
    const old = await api.client.post('/v1/keys', { name: 'shop-site', scopes: ['touchpoints:write:web_visit'] });
    const rotated = await api.client.post('/v1/keys', { name: 'shop-site', scopes: ['touchpoints:write:web_visit'], replaces: old.body.keyId });
    const body = visit();
    const headers = { 'idempotency-key': `visit-${Date.now()}` };

    const first = await jsonClient(api.url, { authorization: `Bearer ${old.body.key}` }).post('/v1/touchpoints', body, headers);
    const retry = await jsonClient(api.url, { authorization: `Bearer ${rotated.body.key}` }).post('/v1/touchpoints', body, headers);

    expect(rotated.status).toBe(201);
    expect(retry.body.touchpointId).toBe(first.body.touchpointId);
  });

  it("refuses a second system of the same name, so no two systems can replay each other's answers", async () => {
    const first = await api.client.post('/v1/keys', { name: 'crm', scopes: ['customers:read', 'touchpoints:write:call'] });

    const second = await api.client.post('/v1/keys', { name: 'crm', scopes: ['touchpoints:write:call'] });

    expect(first.status).toBe(201);
    expect(second.status).toBe(409);
    expect(second.body.keyId).toBe(first.body.keyId);
  });
});

describe('the keys CLI', () => {
  it('creates, lists and revokes a key in the table named by TABLE_NAME', async () => {
    const created = await keysCli('create', '--name', 'cli-billing', '--scopes', 'touchpoints:write:invoice_query,customers:read');
    const key = created.stdout.trim().split('\n').at(-1) as string;
    const keyId = /Created secret key (key_[0-9a-f]{20})/.exec(created.stdout)?.[1] as string;
    const works = await jsonClient(api.url, { authorization: `Bearer ${key}` }).get('/v1/openapi.json');
    const listed = await keysCli('list');
    const revoked = await keysCli('revoke', keyId);
    const refused = await jsonClient(api.url, { authorization: `Bearer ${key}` }).get('/v1/openapi.json');

    expect(created.code).toBe(0);
    expect(key).toMatch(/^tpk_[\w-]{43}$/);
    expect(works.status).toBe(200);
    expect(listed.stdout).toMatch(new RegExp(`${keyId}\\s+tpk_\\S+\\.\\.\\.\\s+cli-billing\\s+active`));
    expect(listed.stdout).not.toContain(key);
    expect(revoked.code).toBe(0);
    expect(refused.status).toBe(403);
  }, 60_000);

  it('refuses an unknown scope and a missing name with usage help, exit code 1', async () => {
    const unknownScope = await keysCli('create', '--name', 'x', '--scopes', 'customers:readall');
    const noName = await keysCli('create', '--scopes', 'customers:read');

    expect(unknownScope.code).toBe(1);
    expect(unknownScope.stderr).toMatch(/Unknown scope\(s\): customers:readall/);
    expect(noName.code).toBe(1);
  }, 60_000);

  it('refuses a name another key has, and rotates it with --replaces', async () => {
    const first = await keysCli('create', '--name', 'cli-site', '--scopes', 'touchpoints:write:web_visit');
    const keyId = /Created secret key (key_[0-9a-f]{20})/.exec(first.stdout)?.[1] as string;

    const taken = await keysCli('create', '--name', 'cli-site', '--scopes', 'touchpoints:write:web_visit');
    const rotated = await keysCli('create', '--name', 'cli-site', '--scopes', 'touchpoints:write:web_visit', '--replaces', keyId);

    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`taken by ${keyId}`);
    expect(rotated.code).toBe(0);
  }, 60_000);

  it('answers exit code 2 for revoking a key nobody issued', async () => {
    expect((await keysCli('revoke', 'key_00000000000000000000')).code).toBe(2);
  }, 60_000);
});

describe('the bootstrap key', () => {
  const store = () => dynamoApiKeyStore(createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT as string, region: 'local' }), testTableName());

  it('is registered with every scope once, and found again on the next start', async () => {
    const key = 'local-dev-bootstrap-key-0123456789';

    const first = await registerBootstrapKey(store(), key);
    const second = await registerBootstrapKey(store(), key);
    const works = await jsonClient(api.url, { authorization: `Bearer ${key}` }).send('DELETE', '/v1/keys/key_00000000000000000000');

    expect(first.kind).toBe('registered');
    expect(second).toEqual({ kind: 'present', keyId: first.keyId });
    expect(works.status).toBe(404);
  });

  it('stays revoked across restarts', async () => {
    const key = 'local-dev-bootstrap-key-revoked-000';
    const { keyId } = await registerBootstrapKey(store(), key);
    await store().revoke(keyId, 'test');

    expect(await registerBootstrapKey(store(), key)).toEqual({ kind: 'revoked', keyId });
  });

  it('rotates the bootstrap key when the environment names a new one: both keys are the same local operator', async () => {
    const first = await registerBootstrapKey(store(), 'local-dev-bootstrap-key-first-0000');

    const second = await registerBootstrapKey(store(), 'local-dev-bootstrap-key-second-000');

    expect(second.kind).toBe('registered');
    expect(second.keyId).not.toBe(first.keyId);
    expect((await store().get(second.keyId))?.name).toBe('bootstrap');
  });

  it('must be at least 16 characters', async () => {
    await expect(registerBootstrapKey(store(), 'short')).rejects.toThrow(/at least 16/);
  });
});
