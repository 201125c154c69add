import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type CryptoKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { authorizeRequest } from '../../functions/authorize-request/handler.ts';
import { generateApiKey, keyIdOf } from '../../shared/auth/api-keys.ts';
import { toAuthorizerEvent } from '../../dev/local-server.ts';
import { apiEvent } from '../helpers/api-event.ts';
import { registerKey, revokeKey } from '../helpers/credentials.ts';
import { jsonClient } from '../helpers/json-client.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';

/**
 * The authorizer as API Gateway runs it, through the local adapter: 401 without a credential,
 * 403 for a refused one, answers cached per Authorization header and route key, OIDC tokens
 * verified against the issuer's JWKS (here a test issuer on a local port).
 */
let api: TestApi;
let jwksServer: Server;
let signingKey: CryptoKey;
const audience = 'touchpoint-api-test';
let issuer: string;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
  jwksServer = createServer((request, response) => {
    response.writeHead(request.url === '/.well-known/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
    response.end(request.url === '/.well-known/jwks.json' ? jwks : '{}');
  });
  await new Promise<void>((resolveListen) => jwksServer.listen(0, '127.0.0.1', resolveListen));
  const address = jwksServer.address();
  issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // Read by the authorizer at its first call (its cold start), as Lambda reads its environment.
  process.env.JWT_ISSUER = issuer;
  process.env.JWT_AUDIENCE = audience;
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
  await new Promise((resolveClose) => jwksServer?.close(resolveClose));
});

function staffToken(scope: string, options: { audience?: string } = {}) {
  return new SignJWT({ scope, client_id: 'staff-console' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(options.audience ?? audience)
    .setSubject('agent-7')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(signingKey);
}

describe('refusals', () => {
  it('answers 401 with WWW-Authenticate and problem details when no credential is sent', async () => {
    const response = await api.client.send('GET', '/v1/customers/lookup?phone=02079460018', { headers: { authorization: '' } });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.body).toMatchObject({ status: 401, title: 'Unauthenticated' });
  });

  it('answers 403 for an unknown key, with the same body as for a missing scope (nothing to probe)', async () => {
    const readOnly = generateApiKey();
    await registerKey(readOnly, 'reader', ['customers:read']);

    const unknown = await jsonClient(api.url, { authorization: `Bearer ${generateApiKey()}` }).get('/v1/keys');
    const wrongScope = await jsonClient(api.url, { authorization: `Bearer ${readOnly}` }).get('/v1/keys');

    expect(unknown.status).toBe(403);
    expect(wrongScope.status).toBe(403);
    expect(unknown.body).toEqual(wrongScope.body);
  });

  it('answers the public health check without any credential', async () => {
    expect((await api.client.send('GET', '/v1/health', { headers: { authorization: '' } })).status).toBe(200);
  });
});

describe('the authorizer cache (identity sources: Authorization and route key)', () => {
  it('keeps allowing a revoked key on a route it was allowed on, until the TTL passes', async () => {
    const key = generateApiKey();
    await registerKey(key, 'cached', ['customers:read']);
    const client = jsonClient(api.url, { authorization: `Bearer ${key}` });
    const before = await client.get('/v1/openapi.json');

    await revokeKey(keyIdOf(key));
    const cached = await client.get('/v1/openapi.json');
    const otherRoute = await client.get('/v1/customers/lookup?phone=02079460018');

    expect(before.status).toBe(200);
    expect(cached.status).toBe(200);
    // Another route is another cache entry: the revocation shows there at once.
    expect(otherRoute.status).toBe(403);
  });

  it('never lets an allow cached for one route open another route', async () => {
    const key = generateApiKey();
    await registerKey(key, 'reader-2', ['customers:read']);
    const client = jsonClient(api.url, { authorization: `Bearer ${key}` });

    expect((await client.get('/v1/openapi.json')).status).toBe(200);
    expect((await client.send('DELETE', '/v1/customers/cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB')).status).toBe(403);
  });
});

describe('OIDC tokens of staff tools', () => {
  it('lets a token with customers:read through to the lookup', async () => {
    const token = await staffToken('openid customers:read');

    const response = await jsonClient(api.url, { authorization: `Bearer ${token}` }).get('/v1/customers/lookup?phone=02079460018');

    expect(response.status).toBe(404);
  });

  it('refuses a token without the scope, and a token for another audience', async () => {
    const noScope = await staffToken('customers:read');
    const otherAudience = await staffToken('privacy:erase', { audience: 'another-api' });

    expect((await jsonClient(api.url, { authorization: `Bearer ${noScope}` }).send('DELETE', '/v1/customers/cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB')).status).toBe(403);
    expect(
      (await jsonClient(api.url, { authorization: `Bearer ${otherAudience}` }).send('DELETE', '/v1/customers/cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB')).status,
    ).toBe(403);
  });

  it('takes the source of a posted touchpoint from the token client', async () => {
    const token = await staffToken('touchpoints:write:call customers:read');
    const staff = jsonClient(api.url, { authorization: `Bearer ${token}` });

    const created = await staff.post('/v1/touchpoints', {
      channel: 'call',
      identifiers: { email: `staff-${Date.now()}@example.com` },
      details: { direction: 'outbound', durationSeconds: 60 },
    });
    const timeline = await staff.get(`/v1/customers/${created.body.customerId}/timeline`);

    expect(created.status).toBe(201);
    expect(timeline.body.items[0].source).toBe('staff-console');
  });
});

describe('the authorizer Lambda', () => {
  it('answers API Gateway with a simple response whose context names the client and its scopes', async () => {
    const key = generateApiKey();
    await registerKey(key, 'crm', ['customers:read', 'customers:write']);
    const event = apiEvent({ routePath: '/v1/customers/{customerId}', path: '/v1/customers/x', headers: { authorization: `Bearer ${key}` }, authorizer: null });

    const result = await authorizeRequest(toAuthorizerEvent(event, `Bearer ${key}`));

    expect(result).toEqual({
      isAuthorized: true,
      context: { clientId: keyIdOf(key), clientName: 'crm', scopes: 'customers:read customers:write' },
    });
  });

  it('answers isAuthorized false for a route key it does not know', async () => {
    const event = apiEvent({ routePath: '/v1/unknown', headers: { authorization: 'Bearer whatever-key-0000000000' }, authorizer: null });

    expect(await authorizeRequest(toAuthorizerEvent(event, 'Bearer whatever-key-0000000000'))).toEqual({ isAuthorized: false, context: {} });
  });
});
