/**
 * The agent's own credential, kept in sessionStorage: it lives as long as the tab, is never
 * written to localStorage or a cookie, and is gone when the tab closes.
 */
import * as oauth from 'oauth4webapi';
import type { Problem } from './api.ts';
import type { OidcSettings } from './config.ts';

const credentialKey = 'touchpoint.credential';
const agentKey = 'touchpoint.agent';
const pendingKey = 'touchpoint.oidc.pending';

export interface Credential {
  kind: 'api-key' | 'oidc';
  secret: string;
  /** Epoch ms; tokens only. */
  expiresAt?: number;
}

export function storedCredential(): Credential | undefined {
  const raw = sessionStorage.getItem(credentialKey);
  if (!raw) return undefined;
  const credential = JSON.parse(raw) as Credential;
  if (credential.expiresAt !== undefined && credential.expiresAt <= Date.now()) {
    sessionStorage.removeItem(credentialKey);
    return undefined;
  }
  return credential;
}

export function keepApiKey(key: string): Credential {
  const credential: Credential = { kind: 'api-key', secret: key.trim() };
  sessionStorage.setItem(credentialKey, JSON.stringify(credential));
  return credential;
}

/** Signing out forgets everything the console kept: the credential, the agent's name, a sign-in under way. */
export function forgetCredential(): void {
  for (const key of [credentialKey, agentKey, pendingKey]) sessionStorage.removeItem(key);
}

/** Who is at the keyboard, sent as `requestedBy` on merges, moves and undos for the audit trail. */
export function agentName(): string {
  return sessionStorage.getItem(agentKey) ?? '';
}

export function keepAgentName(name: string): void {
  if (name.trim()) sessionStorage.setItem(agentKey, name.trim());
  else sessionStorage.removeItem(agentKey);
}

/**
 * oauth4webapi sends nothing over plain http. The one exception it is told of is an issuer on this
 * very machine (the local issuer of `npm start -- --oidc` and the tests): loopback traffic never
 * leaves the host, as RFC 8252 reasons for loopback redirects. Any other http issuer is refused.
 */
function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** Plain http only from a loopback issuer to its own loopback endpoints: an https issuer never gets it. */
function requestOptions(settings: OidcSettings, url: string | undefined): { [oauth.allowInsecureRequests]?: boolean } {
  const allowed = url !== undefined && isLoopbackHttp(new URL(settings.issuer)) && isLoopbackHttp(new URL(url));
  return allowed ? { [oauth.allowInsecureRequests]: true } : {};
}

function issuerUrl(settings: OidcSettings): URL {
  const issuer = new URL(settings.issuer);
  if (issuer.protocol !== 'https:' && !isLoopbackHttp(issuer)) {
    throw new Error(`The identity provider ${issuer.origin} is not served over HTTPS, so the console does not sign in with it.`);
  }
  return issuer;
}

async function authorizationServer(settings: OidcSettings): Promise<oauth.AuthorizationServer> {
  const issuer = issuerUrl(settings);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions(settings, issuer.href) });
  return oauth.processDiscoveryResponse(issuer, response);
}

function redirectUri(): string {
  return new URL('./', document.baseURI).href;
}

/** Authorization code with PKCE (S256): the verifier and state wait in sessionStorage for the redirect back. */
export async function startSignIn(settings: OidcSettings): Promise<void> {
  const server = await authorizationServer(settings);
  if (!server.authorization_endpoint) throw new Error('The identity provider names no authorization endpoint.');
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(pendingKey, JSON.stringify({ verifier, state, returnTo: location.search }));
  const url = new URL(server.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: settings.scope,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(settings.audience ? { audience: settings.audience } : {}),
  }).toString();
  location.assign(url.href);
}

/** The redirect back: where the agent was before signing in, and why the sign-in was refused if it was. */
export interface SignInOutcome {
  returnTo: string;
  problem?: Problem;
}

function readPending(raw: string): { verifier: string; state: string; returnTo: string } | undefined {
  const parsed: unknown = JSON.parse(raw);
  if (!parsed || typeof parsed !== 'object') return undefined;
  const { verifier, state, returnTo } = parsed as Record<string, unknown>;
  return typeof verifier === 'string' && typeof state === 'string' && typeof returnTo === 'string' ? { verifier, state, returnTo } : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function refused(returnTo: string, title: string, detail: string): SignInOutcome {
  return { returnTo, problem: { type: 'about:blank', title, status: 0, detail } };
}

/**
 * On the redirect back (`?code=&state=` or `?error=`): checks the answer belongs to the sign-in
 * this tab started (its state), exchanges the code for an access token and keeps it. A `?phone=`
 * screen pop survives the round trip. Undefined when the address is no sign-in answer.
 */
export async function finishSignIn(settings: OidcSettings): Promise<SignInOutcome | undefined> {
  const current = new URL(location.href);
  if (!current.searchParams.has('code') && !current.searchParams.has('error')) return undefined;
  const pendingRaw = sessionStorage.getItem(pendingKey);
  sessionStorage.removeItem(pendingKey);
  const pending = pendingRaw ? readPending(pendingRaw) : undefined;
  // A code this tab never asked for (a link someone sent, an old bookmark) signs nobody in.
  if (!pending) return refused('', 'Sign-in refused', 'This sign-in was not started in this tab, so it was ignored. Sign in again.');
  let server: oauth.AuthorizationServer;
  try {
    server = await authorizationServer(settings);
  } catch (error) {
    return refused(pending.returnTo, 'Sign-in failed', messageOf(error));
  }
  const client: oauth.Client = { client_id: settings.clientId };
  let parameters: URLSearchParams;
  try {
    parameters = oauth.validateAuthResponse(server, client, current, pending.state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      return refused(pending.returnTo, 'Sign-in refused by the identity provider', error.error_description ?? error.error);
    }
    const reason = error instanceof Error ? ` (${error.message})` : '';
    return refused(
      pending.returnTo,
      'Sign-in refused',
      `The answer from the identity provider does not match the sign-in started in this tab${reason}, so nobody was signed in. Sign in again.`,
    );
  }
  try {
    const response = await oauth.authorizationCodeGrantRequest(server, client, oauth.None(), parameters, redirectUri(), pending.verifier, {
      ...requestOptions(settings, server.token_endpoint),
    });
    const tokens = await oauth.processAuthorizationCodeResponse(server, client, response);
    const credential: Credential = {
      kind: 'oidc',
      secret: tokens.access_token,
      ...(tokens.expires_in ? { expiresAt: Date.now() + tokens.expires_in * 1000 } : {}),
    };
    sessionStorage.setItem(credentialKey, JSON.stringify(credential));
    // The audit trail names the person the identity provider signed in.
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    const name = [claims?.name, claims?.preferred_username, claims?.email, claims?.sub].find(
      (value): value is string => typeof value === 'string' && value !== '',
    );
    if (name) keepAgentName(name);
    return { returnTo: pending.returnTo };
  } catch (error) {
    return refused(pending.returnTo, 'Sign-in failed', messageOf(error));
  }
}
