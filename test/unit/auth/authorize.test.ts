import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

type CryptoKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { allScopes } from '../../../shared/auth/access.ts';
import { type AuthorizeDependencies, authorize, type KeyRecord } from '../../../shared/auth/authorize.ts';
import { jwtVerifier } from '../../../shared/auth/jwt-verifier.ts';
import type { Scope } from '../../../shared/auth/scopes.ts';

const issuer = 'https://login.example.test/';
const audience = 'touchpoint-api';
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let jwks: { keys: JWK[] };

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'ES256' }] };
});

function keys(records: Record<string, KeyRecord>): AuthorizeDependencies {
  return {
    findKey: async (key) => records[key],
    verifyJwt: jwtVerifier({ issuer, audience, jwksUrl: 'https://unused.example.test/jwks' }, createLocalJWKSet(jwks)),
  };
}

/** `audience: null` signs a token with no `aud` claim at all (as Cognito's access tokens come). */
function token(claims: Record<string, unknown>, options: { key?: CryptoKey; issuer?: string; audience?: string | null; expiresIn?: string } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'test-key' }).setIssuer(options.issuer ?? issuer);
  if (options.audience !== null) jwt.setAudience(options.audience ?? audience);
  return jwt
    .setSubject('staff-42')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? signingKey);
}

const billingKey = 'tpk_billing-key-000000000000000000000';
const billing: KeyRecord = { keyId: 'key_billing', name: 'billing', scopes: ['touchpoints:write:invoice_query'], kind: 'secret', revokedAt: null };
const publicKey = 'tpk_public-key-0000000000000000000000';
const records: Record<string, KeyRecord> = {
  [billingKey]: billing,
  [publicKey]: { keyId: 'key_public', name: 'shop-web', scopes: ['touchpoints:write:web_visit'], kind: 'public', revokedAt: null },
  'tpk_revoked-key-000000000000000000000': { ...billing, keyId: 'key_revoked', revokedAt: '2026-11-01T00:00:00.000Z' },
};

describe('authorizing an API key', () => {
  it('allows a key whose scope the route needs and hands on its name and scopes', async () => {
    const decision = await authorize({ routeKey: 'POST /v1/touchpoints', authorization: `Bearer ${billingKey}` }, keys(records));

    expect(decision).toEqual({
      isAuthorized: true,
      client: { clientId: 'key_billing', clientName: 'billing', scopes: new Set(['touchpoints:write:invoice_query']) },
    });
  });

  it('refuses a public key as a Bearer credential on every route, even one its scope covers', async () => {
    const decision = await authorize({ routeKey: 'POST /v1/touchpoints', authorization: `Bearer ${publicKey}` }, keys(records));

    expect(decision).toEqual({ isAuthorized: false, reason: 'public-key' });
  });

  it('refuses a key without the scope of the route', async () => {
    const decision = await authorize({ routeKey: 'GET /v1/customers/lookup', authorization: `Bearer ${billingKey}` }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'insufficient-scope' });
  });

  it('refuses a revoked key', async () => {
    const decision = await authorize({ routeKey: 'POST /v1/touchpoints', authorization: 'Bearer tpk_revoked-key-000000000000000000000' }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'revoked-key' });
  });

  it('refuses a key nobody issued', async () => {
    const decision = await authorize({ routeKey: 'POST /v1/touchpoints', authorization: 'Bearer tpk_unknown-key-0000000000000000000' }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'unknown-key' });
  });

  it.each([undefined, ''])('refuses a request without a credential (%j)', async (authorization) => {
    const decision = await authorize({ routeKey: 'POST /v1/touchpoints', authorization }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'no-credential' });
  });

  it.each(['Basic dXNlcjpwYXNz', billingKey, 'Bearer', 'Bearer a b', 'Bearer short'])('refuses the malformed credential %j', async (authorization) => {
    const decision = await authorize({ routeKey: 'POST /v1/touchpoints', authorization }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'malformed-credential' });
  });

  it('refuses a route key the route table does not know, whatever the credential', async () => {
    const decision = await authorize({ routeKey: 'GET /v1/secret', authorization: `Bearer ${billingKey}` }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'unknown-route' });
  });

  it('accepts the scheme in any case, as RFC 7235 says', async () => {
    const decision = await authorize({ routeKey: 'POST /v1/touchpoints', authorization: `bearer ${billingKey}` }, keys(records));

    expect(decision.isAuthorized).toBe(true);
  });

  it('lets any channel write scope through to the ingest routes, where the channel is checked', async () => {
    const decision = await authorize({ routeKey: 'POST /v1/touchpoints/batch', authorization: `Bearer ${billingKey}` }, keys(records));

    expect(decision.isAuthorized).toBe(true);
  });
});

describe('authorizing an OIDC token', () => {
  it('allows a token of the issuer for this audience, with the scopes of its scope claim', async () => {
    const jwt = await token({ scope: 'customers:read openid', client_id: 'staff-console' });

    const decision = await authorize({ routeKey: 'GET /v1/customers/lookup', authorization: `Bearer ${jwt}` }, keys(records));

    expect(decision).toEqual({
      isAuthorized: true,
      client: { clientId: 'jwt:staff-42', clientName: 'staff-console', scopes: new Set(['customers:read']) },
    });
  });

  it('reads scp as a list and drops a resource-server prefix', async () => {
    const jwt = await token({ scp: ['touchpoint-api/privacy:export', 'touchpoint-api/unknown:scope'] });

    const decision = await authorize({ routeKey: 'GET /v1/customers/{customerId}/export', authorization: `Bearer ${jwt}` }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: true, client: { scopes: new Set<Scope>(['privacy:export']) } });
  });

  it.each([
    ['another issuer', { issuer: 'https://evil.example.test/' }],
    ['another audience', { audience: 'another-api' }],
    ['an expired token', { expiresIn: '-5m' }],
    ['a key not in the JWKS', { key: undefined as CryptoKey | undefined, other: true }],
  ])('refuses %s', async (_name, options) => {
    const jwt = await token({ scope: 'customers:read' }, 'other' in options ? { key: otherKey } : options);

    const decision = await authorize({ routeKey: 'GET /v1/customers/lookup', authorization: `Bearer ${jwt}` }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'invalid-token' });
  });

  it("allows a token with no aud whose client_id is the audience (Cognito's access tokens), as API Gateway does", async () => {
    const jwt = await token({ scope: 'touchpoint-api/customers:read', client_id: audience }, { audience: null });

    const decision = await authorize({ routeKey: 'GET /v1/customers/lookup', authorization: `Bearer ${jwt}` }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: true, client: { scopes: new Set<Scope>(['customers:read']) } });
  });

  it.each([
    ['no aud and another client_id', { scope: 'customers:read', client_id: 'another-app' }, null],
    ['no aud and no client_id', { scope: 'customers:read' }, null],
    ['an aud for another API, whatever its client_id', { scope: 'customers:read', client_id: audience }, 'another-api'],
  ])('refuses a token with %s', async (_name, claims, tokenAudience) => {
    const jwt = await token(claims, { audience: tokenAudience });

    const decision = await authorize({ routeKey: 'GET /v1/customers/lookup', authorization: `Bearer ${jwt}` }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'invalid-token' });
  });

  it('refuses an unsigned token (alg none)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ iss: issuer, aud: audience, sub: 'x', exp: Math.floor(Date.now() / 1000) + 300, scope: allScopes.join(' ') }),
    ).toString('base64url');

    const decision = await authorize({ routeKey: 'GET /v1/customers/lookup', authorization: `Bearer ${header}.${payload}.x` }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'invalid-token' });
  });

  it('refuses a valid token without the scope of the route', async () => {
    const jwt = await token({ scope: 'customers:read' });

    const decision = await authorize({ routeKey: 'DELETE /v1/customers/{customerId}', authorization: `Bearer ${jwt}` }, keys(records));

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'insufficient-scope' });
  });

  it('refuses every token when no issuer is configured', async () => {
    const jwt = await token({ scope: 'customers:read' });

    const decision = await authorize({ routeKey: 'GET /v1/customers/lookup', authorization: `Bearer ${jwt}` }, { findKey: async () => undefined });

    expect(decision).toMatchObject({ isAuthorized: false, reason: 'tokens-not-accepted' });
  });
});
