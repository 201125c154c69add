import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, vi } from 'vitest';
import { buildConsole } from '../../console/scripts/build.ts';
import { type LocalIssuer, startLocalIssuer } from '../../dev/local-issuer.ts';
import { launchChromium } from './browser.ts';
import { startTestApi, type TestApi } from './local-api.ts';

export interface SignInStack {
  api: TestApi;
  issuer: LocalIssuer;
  browser: Browser;
  /** Where the console is served, and so its redirect URI at the issuer. */
  consoleUrl: string;
}

export const consoleClientId = 'touchpoint-console';
export const apiAudience = 'touchpoint-api';

/**
 * The console as `npm start -- --oidc` serves it: the local API on this file's table, the local
 * OpenID Provider with the console's client, and the environment that points both the authorizer
 * (JWT_*) and the console's config.json at that issuer. The issuer starts after the API (its
 * client needs the console's address); both read the environment at their first request.
 */
export function useSignInStack(options: { accessTokenTtlSeconds?: number } = {}): () => SignInStack {
  let stack: SignInStack | undefined;
  beforeAll(async () => {
    const [api, browser] = await Promise.all([startTestApi({ authorizerCacheSeconds: 0 }), launchChromium(), buildConsole()]);
    const consoleUrl = `${api.url}/console/`;
    const issuer = await startLocalIssuer({ port: 0, clientId: consoleClientId, redirectUris: [consoleUrl], audience: apiAudience, ...options });
    vi.stubEnv('JWT_ISSUER', issuer.issuer);
    vi.stubEnv('JWT_AUDIENCE', apiAudience);
    vi.stubEnv('JWT_JWKS_URL', issuer.jwksUrl);
    vi.stubEnv('TOUCHPOINT_CONSOLE_CLIENT_ID', consoleClientId);
    stack = { api, issuer, browser, consoleUrl };
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await stack?.browser.close();
    await stack?.issuer.close();
    await stack?.api.close();
  });
  return () => {
    if (!stack) throw new Error('The sign-in stack starts in beforeAll');
    return stack;
  };
}

/**
 * What a person does at the issuer's page: types a name, unticks the scopes their role would not
 * grant, and signs in. Resolves once the console has the redirect back and has left it.
 */
export async function signInAtIssuer(page: Page, stack: SignInStack, name: string, withhold: string[] = []): Promise<void> {
  await page.waitForURL((url) => url.origin === stack.issuer.issuer);
  await page.getByLabel('Username').fill(name);
  for (const scope of withhold) await page.getByLabel(scope, { exact: true }).uncheck();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await backAtConsole(page, stack);
}

/** The console on screen again, the code and state gone from its address. */
export async function backAtConsole(page: Page, stack: SignInStack): Promise<void> {
  await page.waitForURL((url) => url.href.startsWith(stack.consoleUrl) && !url.searchParams.has('code') && !url.searchParams.has('state'));
}
