import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes, grantsAccess } from '../../shared/auth/access.ts';
import { generateApiKey, keyIdOf } from '../../shared/auth/api-keys.ts';
import type { RouteAccess, Scope } from '../../shared/auth/scopes.ts';
import { routes } from '../../shared/http/routes.ts';
import { registerKey, revokeKey } from '../helpers/credentials.ts';
import type { JsonClient } from '../helpers/json-client.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';

/**
 * Every route of the route table x (no key, revoked key, wrong scope, right scope), through the
 * local server and the authorizer it runs. Path parameters name nothing that exists: a request
 * that gets past the authorizer is answered by the route (404, 422, ...), never 401 or 403.
 */
let api: TestApi;
let client: JsonClient;

const unknownCustomerId = 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB';
const parameterValues: Record<string, string> = {
  customerId: unknownCustomerId,
  keyId: 'key_00000000000000000000',
  hash: '0'.repeat(64),
  mergeId: 'mrg_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
  candidateId: 'cand_unknown',
  touchpointId: 'tp_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
  type: 'email',
  value: 'nobody@example.com',
};

function pathOf(path: string): string {
  return path.replace(/\{(\w+)\+?\}/g, (_, name: string) => encodeURIComponent(parameterValues[name] ?? 'x'));
}

/** The narrowest scopes that satisfy the route, and a set of every other scope that does not. */
function scopesFor(access: Exclude<RouteAccess, 'public-key'>): { right: Scope[]; wrong: Scope[] } {
  if (access === 'touchpoints:write') {
    return { right: ['touchpoints:write:call'], wrong: allScopes.filter((scope) => !scope.startsWith('touchpoints:write:')) };
  }
  if (access === 'authenticated' || access === 'public') return { right: ['customers:read'], wrong: ['customers:read'] };
  // A connector's sender proves itself with the connector's own secret: even a key holding every scope is refused.
  if (access === 'connector') return { right: [...allScopes], wrong: [...allScopes] };
  return { right: [access], wrong: allScopes.filter((scope) => scope !== access) };
}

function call(route: (typeof bearerRoutes)[number], key: string | undefined) {
  const hasBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  return client.send(route.method, pathOf(route.path), {
    headers: { authorization: key === undefined ? '' : `Bearer ${key}`, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    ...(hasBody ? { body: '{}' } : {}),
  });
}

// The web route takes a public key in its URL, never a Bearer credential: test/api/web-route.test.ts covers it.
const bearerRoutes = routes.filter((route) => route.access !== 'public-key');
const cases = bearerRoutes.map((route) => [`${route.method} ${route.path}`, route] as const);
const keys = new Map<string, { revoked: string; wrong: string; right: string }>();

beforeAll(async () => {
  api = await startTestApi();
  client = api.client;
  for (const route of bearerRoutes) {
    const { right, wrong } = scopesFor(route.access);
    const set = { revoked: generateApiKey(), wrong: generateApiKey(), right: generateApiKey() };
    await registerKey(set.revoked, 'matrix-revoked', right);
    await revokeKey(keyIdOf(set.revoked));
    await registerKey(set.wrong, 'matrix-wrong', wrong);
    await registerKey(set.right, 'matrix-right', right);
    keys.set(`${route.method} ${route.path}`, set);
  }
});

afterAll(async () => {
  await api?.close();
});

describe.each(cases.filter(([, route]) => route.access === 'connector'))('%s (a connector)', (name, route) => {
  it.each(['revoked', 'right'] as const)('answers 401 to an API key (%s) in place of its own proof', async (which) => {
    const response = await call(route, keys.get(name)?.[which]);

    expect(response.status).toBe(401);
  });
});

describe.each(cases.filter(([, route]) => route.access !== 'connector'))('%s', (name, route) => {
  const isPublic = route.access === 'public';
  const anyCredential = route.access === 'authenticated';

  it(isPublic ? 'answers without a key' : 'answers 401 without a key', async () => {
    const response = await call(route, undefined);

    if (isPublic) expect(response.status).toBe(200);
    else {
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it(isPublic ? 'answers with a revoked key' : 'answers 403 with a revoked key', async () => {
    const response = await call(route, keys.get(name)?.revoked);

    expect(response.status).toBe(isPublic ? 200 : 403);
  });

  it(isPublic || anyCredential ? 'answers with a key of any scope' : 'answers 403 with a key holding every other scope', async () => {
    const response = await call(route, keys.get(name)?.wrong);

    if (isPublic || anyCredential) expect(response.status).toBe(200);
    else expect(response.status).toBe(403);
  });

  it('lets the route answer (no 401, 403 or 5xx) with a key holding the one scope it needs', async () => {
    const response = await call(route, keys.get(name)?.right);

    expect([401, 403]).not.toContain(response.status);
    expect(response.status).toBeLessThan(500);
  });
});

describe('what a write-only key can reach', () => {
  const writeOnly = new Set<string>(allScopes.filter((scope) => scope.startsWith('touchpoints:write:') || scope === 'touchpoints:relay'));

  // Each of these answers a write-only key without naming a customer (the ingest routes answer a
  // receipt: test/integration/write-only-answers.test.ts). A new route open to such a key must join
  // this list only once it, too, tells nothing about customers.
  it('is the health check, the OpenAPI document and the two ingest routes, nothing else', () => {
    const reachable = routes.filter((route) => grantsAccess(writeOnly, route.access)).map((route) => `${route.method} ${route.path}`);

    expect(reachable.sort()).toEqual(['GET /v1/health', 'GET /v1/openapi.json', 'POST /v1/touchpoints', 'POST /v1/touchpoints/batch']);
  });
});
