/**
 * The agent's own credential, kept in sessionStorage: it lives as long as the tab, is never
 * written to localStorage or a cookie, and is gone when the tab closes.
 */
import * as oauth from 'oauth4webapi';
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

export function forgetCredential(): void {
  sessionStorage.removeItem(credentialKey);
}

/** Who is at the keyboard, sent as `requestedBy` on merges, moves and undos for the audit trail. */
export function agentName(): string {
  return sessionStorage.getItem(agentKey) ?? '';
}

export function keepAgentName(name: string): void {
  if (name.trim()) sessionStorage.setItem(agentKey, name.trim());
  else sessionStorage.removeItem(agentKey);
}

async function authorizationServer(settings: OidcSettings): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(settings.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc' }));
}

function redirectUri(): string {
  return new URL('./', document.baseURI).href;
}

/** Authorization code with PKCE (S256): the verifier and state wait in sessionStorage for the redirect back. */
export async function startSignIn(settings: OidcSettings): Promise<void> {
  const server = await authorizationServer(settings);
  if (!server.authorization_endpoint) throw new Error('The issuer names no authorization endpoint.');
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

/**
 * On the redirect back (`?code=&state=`): exchanges the code for an access token and keeps it.
 * Answers the search the agent had before signing in (a `?phone=` screen pop survives sign-in).
 */
export async function finishSignIn(settings: OidcSettings): Promise<string | undefined> {
  const pendingRaw = sessionStorage.getItem(pendingKey);
  const current = new URL(location.href);
  if (!pendingRaw || !(current.searchParams.has('code') || current.searchParams.has('error'))) return undefined;
  sessionStorage.removeItem(pendingKey);
  const pending = JSON.parse(pendingRaw) as { verifier: string; state: string; returnTo: string };
  const server = await authorizationServer(settings);
  const client: oauth.Client = { client_id: settings.clientId };
  const parameters = oauth.validateAuthResponse(server, client, current, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(server, client, oauth.None(), parameters, redirectUri(), pending.verifier);
  const tokens = await oauth.processAuthorizationCodeResponse(server, client, response);
  const credential: Credential = {
    kind: 'oidc',
    secret: tokens.access_token,
    ...(tokens.expires_in ? { expiresAt: Date.now() + tokens.expires_in * 1000 } : {}),
  };
  sessionStorage.setItem(credentialKey, JSON.stringify(credential));
  return pending.returnTo;
}
