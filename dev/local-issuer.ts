/**
 * A local OpenID Provider (panva's oidc-provider) for `npm start -- --oidc` and the console's
 * sign-in tests: the console's sign-in runs against it exactly as against Cognito, Auth0 or Okta
 * (discovery, authorization code with S256 PKCE, token endpoint), and the API's authorizer verifies
 * its access tokens (JWTs for the API's audience, with the scopes the person granted) against its JWKS.
 *
 * Its one page signs a person in and asks which of the requested API scopes to grant: any name
 * is accepted (there are no passwords: it is a development tool), and unticking a scope gives the
 * token a staff member without that permission would get from a real issuer's roles.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { scopes as apiScopes } from '../shared/auth/scopes.ts';

export interface LocalIssuerOptions {
  /** 0 for any free port. */
  port: number;
  /** The console's sign-in client. */
  clientId: string;
  /** Where the console is served (`http://localhost:3000/console/`): its redirect URI. */
  redirectUris: string[];
  /** The API's audience (JWT_AUDIENCE): the `aud` of every access token. */
  audience: string;
  accessTokenTtlSeconds?: number;
}

export interface LocalIssuer {
  /** The issuer identifier, exactly as in the tokens' `iss` (JWT_ISSUER). */
  issuer: string;
  /** JWT_JWKS_URL: oidc-provider publishes its keys at /jwks, not /.well-known/jwks.json. */
  jwksUrl: string;
  close(): Promise<void>;
}

/** Scopes of the ID token; every other scope the console asks for is the API's. */
const oidcScopes = new Set(['openid', 'profile']);
/** The API as a resource server (RFC 8707): tokens for it are JWTs, whatever resource the client names. */
const apiResource = 'urn:touchpoint:api';

export async function startLocalIssuer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  const server = createServer();
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(options.port, '127.0.0.1', () => listening());
  });
  const address = server.address();
  const issuer = `http://localhost:${typeof address === 'object' && address ? address.port : options.port}`;
  const provider = new Provider(issuer, await configuration(options));
  const callback = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const interaction = /^\/interaction\/([\w-]+)$/.exec(new URL(request.url ?? '/', issuer).pathname);
    if (!interaction) return void callback(request, response);
    answerInteraction(provider, request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.end();
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(error instanceof Error ? error.message : String(error));
    });
  });
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    close: () =>
      new Promise<void>((closed) => {
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}

async function configuration(options: LocalIssuerOptions): Promise<Configuration> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const tokenTtl = options.accessTokenTtlSeconds ?? 3600;
  return {
    clients: [
      {
        client_id: options.clientId,
        // A browser app keeps no secret: PKCE stands in for it (oidc-provider requires S256 for such clients).
        token_endpoint_auth_method: 'none',
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: `local-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
    // Lifetimes named rather than left to defaults oidc-provider warns about: a shift's session and grant.
    ttl: { AccessToken: tokenTtl, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
    // The token endpoint answers the console's own origin only (that of its redirect URIs).
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
    findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId, name: accountId, preferred_username: accountId }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => apiResource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: apiScopes.join(' '),
          audience: options.audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: tokenTtl,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // Its own log lines would interleave with the API's request lines; errors still reach the console.
    renderError: (ctx: KoaContextWithOIDC, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in failed', `<p role="alert">${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`);
    },
  };
}

/** The sign-in and consent page (GET) and its answer (POST): a name, and the API scopes to grant. */
async function answerInteraction(provider: Provider, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(request, response);
  const requested = String(details.params.scope ?? '')
    .split(' ')
    .filter(Boolean);
  const requestedApiScopes = requested.filter((scope) => !oidcScopes.has(scope));
  if (request.method !== 'POST') {
    const boxes = requestedApiScopes
      .map((scope) => `<label><input type="checkbox" name="scope" value="${escapeHtml(scope)}" checked> ${escapeHtml(scope)}</label>`)
      .join('');
    const body = `<form method="post">
      <p>Any name signs in: this issuer is for trying the console locally.</p>
      <label>Username <input name="login" autocomplete="username" required autofocus></label>
      ${boxes ? `<fieldset><legend>Grant the Touchpoint API</legend>${boxes}</fieldset>` : ''}
      <button type="submit" name="action" value="sign-in">Sign in</button>
      <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
    </form>`;
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(page(`Sign in to ${details.params.client_id}`, body));
    return;
  }
  const form = new URLSearchParams(await readBody(request));
  if (form.get('action') === 'cancel') {
    await provider.interactionFinished(request, response, { error: 'access_denied', error_description: 'The person cancelled the sign-in.' });
    return;
  }
  const accountId = form.get('login')?.trim();
  if (!accountId) throw new Error('A username is needed.');
  const ticked = new Set(form.getAll('scope'));
  const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  grant.addOIDCScope(requested.filter((scope) => oidcScopes.has(scope)).join(' '));
  grant.addResourceScope(apiResource, requestedApiScopes.filter((scope) => ticked.has(scope)).join(' '));
  // Rejected, not merely missing: otherwise the provider would ask for them again, in a loop.
  grant.rejectResourceScope(apiResource, requestedApiScopes.filter((scope) => !ticked.has(scope)).join(' '));
  await provider.interactionFinished(request, response, { login: { accountId }, consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: false });
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}
