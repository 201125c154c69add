/// <reference lib="dom" />
import { decodeJwt } from 'jose';
import type { Page, Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { uniquePhone } from '../fixtures/touchpoints.ts';
import { jsonClient } from '../helpers/json-client.ts';
import { apiAudience, backAtConsole, consoleClientId, signInAtIssuer, useSignInStack } from '../helpers/oidc-issuer.ts';
import { call, minutesAgo, record } from './console-stack.ts';

/**
 * OIDC sign-in with PKCE in a real Chromium, the way a person signs in: the console configured
 * for the local OpenID Provider, the login completed at the provider's own page, and the API's
 * authorizer verifying the access token against the provider's JWKS.
 */
const tokenLifetimeSeconds = 600;
const stack = useSignInStack({ accessTokenTtlSeconds: tokenLifetimeSeconds });

async function namedCaller(name: string): Promise<{ customerId: string; phone: string }> {
  const phone = uniquePhone();
  const { customerId } = await record(stack().api.client, call(phone.e164, minutesAgo(30)));
  const named = await stack().api.client.send('PATCH', `/v1/customers/${customerId}`, {
    body: JSON.stringify({ displayName: name }),
    headers: { 'content-type': 'application/json' },
  });
  expect(named.status).toBe(200);
  return { customerId, phone: phone.national };
}

async function freshTab(): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await stack().browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/London' });
  return { page: await context.newPage(), close: () => context.close() };
}

function signInButton(page: Page) {
  return page.getByRole('button', { name: `Sign in with ${new URL(stack().issuer.issuer).host}` });
}

async function storedToken(page: Page): Promise<string> {
  const raw = await page.evaluate(() => sessionStorage.getItem('touchpoint.credential'));
  const credential = JSON.parse(raw ?? '{}') as { kind?: string; secret?: string };
  expect(credential.kind).toBe('oidc');
  return credential.secret ?? '';
}

/** Signs in through the issuer from the console's sign-in screen, granting all but `withhold`. */
async function signIn(page: Page, name: string, withhold: string[] = []): Promise<void> {
  await signInButton(page).click();
  await signInAtIssuer(page, stack(), name, withhold);
}

describe('signing in with the identity provider', () => {
  it('goes to the issuer with an S256 code challenge and a state, and comes back signed in to the screen pop', async () => {
    const caller = await namedCaller('Ada Lovelace');
    const { page, close } = await freshTab();
    try {
      await page.goto(`${stack().consoleUrl}?phone=${encodeURIComponent(caller.phone)}`);
      const authorization = page.waitForRequest((request) => request.url().startsWith(`${stack().issuer.issuer}/auth?`));
      await signInButton(page).click();
      const asked = new URL((await authorization).url()).searchParams;
      expect(Object.fromEntries(['response_type', 'client_id', 'redirect_uri', 'code_challenge_method'].map((name) => [name, asked.get(name)]))).toEqual({
        response_type: 'code',
        client_id: consoleClientId,
        redirect_uri: stack().consoleUrl,
        code_challenge_method: 'S256',
      });
      // RFC 7636: a base64url SHA-256 (43 characters); a state of 32 random bytes, never empty.
      expect(asked.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(asked.get('state')).toMatch(/^[\w-]{43}$/);

      await signInAtIssuer(page, stack(), 'ada.agent');

      // The ?phone= screen pop survived the round trip and was answered with the token.
      await page.locator(`[data-customer-id="${caller.customerId}"]`).waitFor();
      expect(await page.locator('#card-name').textContent()).toContain('Ada Lovelace');
      await page.getByRole('button', { name: 'Merge candidates' }).waitFor();
      const token = await storedToken(page);
      expect(decodeJwt(token)).toMatchObject({ iss: stack().issuer.issuer, aud: apiAudience, sub: 'ada.agent', client_id: consoleClientId });
      expect(await page.evaluate(() => sessionStorage.getItem('touchpoint.agent'))).toBe('ada.agent');
      expect(await page.evaluate(() => sessionStorage.getItem('touchpoint.oidc.pending'))).toBeNull();
    } finally {
      await close();
    }
  });

  it('has the API verify the token against the issuer keys and grant exactly its scopes', async () => {
    const caller = await namedCaller('Grace Hopper');
    const { page, close } = await freshTab();
    try {
      await page.goto(stack().consoleUrl);
      await signIn(page, 'grace.agent');
      const token = await storedToken(page);
      const withToken = jsonClient(stack().api.url, { authorization: `Bearer ${token}` });

      expect((await withToken.get(`/v1/customers/${caller.customerId}`)).status).toBe(200);
      // keys:admin was never asked for: the route that needs it refuses the token.
      expect((await withToken.get('/v1/keys')).status).toBe(403);
      // One character of the signature changed: the issuer's key no longer vouches for it. The one
      // before the last, whose six bits are all signature (the last one's low bits are padding).
      const changed = token.length - 2;
      const forged = `${token.slice(0, changed)}${token[changed] === 'A' ? 'B' : 'A'}${token.slice(changed + 1)}`;
      expect(forged).not.toBe(token);
      expect((await jsonClient(stack().api.url, { authorization: `Bearer ${forged}` }).get(`/v1/customers/${caller.customerId}`)).status).toBe(403);
    } finally {
      await close();
    }
  });

  it('refuses a callback whose state was tampered with, and exchanges no code', async () => {
    const { page, close } = await freshTab();
    const tokenRequests: Request[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`${stack().issuer.issuer}/token`)) tokenRequests.push(request);
    });
    try {
      // The issuer's redirect back reaches the console with another state, as a forged link would.
      // (Playwright routes no redirect, so the sign-in form's answer is followed here and replaced.)
      await page.route(`${stack().issuer.issuer}/interaction/*`, async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        const callback = new URL((await route.fetch()).url());
        callback.searchParams.set('state', 'forged');
        return route.fulfill({ status: 303, headers: { location: callback.href } });
      });
      await page.goto(stack().consoleUrl);
      await signIn(page, 'mallory');

      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('Sign-in refused');
      expect(await alert.textContent()).toContain('does not match the sign-in started in this tab');
      await signInButton(page).waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('touchpoint.credential'))).toBeNull();
      expect(tokenRequests).toEqual([]);
    } finally {
      await close();
    }
  });

  it("shows the identity provider's own refusal when the person cancels there", async () => {
    const { page, close } = await freshTab();
    try {
      await page.goto(stack().consoleUrl);
      await signInButton(page).click();
      await page.waitForURL((url) => url.origin === stack().issuer.issuer);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await backAtConsole(page, stack());

      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('Sign-in refused by the identity provider');
      expect(await alert.textContent()).toContain('The person cancelled the sign-in.');
      expect(await page.evaluate(() => sessionStorage.getItem('touchpoint.credential'))).toBeNull();
    } finally {
      await close();
    }
  });

  it('refuses a sign-in answer in a tab that never started a sign-in', async () => {
    const { page, close } = await freshTab();
    try {
      await page.goto(`${stack().consoleUrl}?code=stolen-code&state=some-state`);

      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('This sign-in was not started in this tab');
      expect(page.url()).toBe(stack().consoleUrl);
      expect(await page.evaluate(() => sessionStorage.getItem('touchpoint.credential'))).toBeNull();
    } finally {
      await close();
    }
  });

  it('refuses an http issuer that is not on this machine, before sending it anything', async () => {
    const { page, close } = await freshTab();
    const sentAway: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).hostname === 'login.example.test') sentAway.push(request.url());
    });
    try {
      await page.route(`${stack().consoleUrl}config.json`, (route) =>
        route.fulfill({ json: { apiBaseUrl: '', oidc: { issuer: 'http://login.example.test/', clientId: consoleClientId, scope: 'openid customers:read' } } }),
      );
      await page.goto(stack().consoleUrl);
      await page.getByRole('button', { name: 'Sign in with login.example.test' }).click();

      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('http://login.example.test is not served over HTTPS');
      expect(sentAway).toEqual([]);
      expect(page.url()).toBe(stack().consoleUrl);
    } finally {
      await close();
    }
  });
});

describe('what the token may do', () => {
  it('shows the refusal, not an empty page, when the token may not read customers', async () => {
    const caller = await namedCaller('Alan Turing');
    const { page, close } = await freshTab();
    try {
      await page.goto(stack().consoleUrl);
      await signIn(page, 'outsider', ['customers:read', 'identity:merge']);
      expect(decodeJwt(await storedToken(page)).scope ?? '').not.toContain('customers:read');

      await page.getByLabel('Find a customer').fill(caller.phone);
      await page.getByLabel('Find a customer').press('Enter');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('403');
      expect(await page.locator(`[data-customer-id="${caller.customerId}"]`).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Merge candidates' }).count()).toBe(0);
    } finally {
      await close();
    }
  });

  it('reads but offers no identity work when the token lacks identity:merge', async () => {
    const caller = await namedCaller('Mary Somerville');
    const { page, close } = await freshTab();
    try {
      await page.goto(`${stack().consoleUrl}?customerId=${caller.customerId}`);
      // Whether merges are allowed is asked once, after sign-in: its answer decides what is hidden.
      const askedToMerge = page.waitForResponse((response) => response.url().includes('/v1/merge-candidates'));
      await signIn(page, 'reader', ['identity:merge']);

      await page.locator(`[data-customer-id="${caller.customerId}"]`).waitFor();
      expect((await askedToMerge).status()).toBe(403);
      expect(await page.getByRole('button', { name: 'Merge candidates' }).count()).toBe(0);
    } finally {
      await close();
    }
  });
});

describe('leaving', () => {
  it('signs out by forgetting everything the console kept in session storage', async () => {
    const { page, close } = await freshTab();
    try {
      await page.goto(stack().consoleUrl);
      await signIn(page, 'leaver');
      await storedToken(page);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await signInButton(page).waitFor();
      expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
      await page.reload();
      await signInButton(page).waitFor();
    } finally {
      await close();
    }
  });

  it('leads back to sign-in when the token expires, and back to the same customer after signing in again', async () => {
    const caller = await namedCaller('Ada Byron');
    const { page, close } = await freshTab();
    try {
      // The page's clock runs as the real one until the test moves it past the token's lifetime.
      await page.clock.install();
      await page.goto(`${stack().consoleUrl}?customerId=${caller.customerId}`);
      await signIn(page, 'shift.agent');
      await page.locator(`[data-customer-id="${caller.customerId}"]`).waitFor();

      await page.clock.fastForward((tokenLifetimeSeconds + 1) * 1000);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('Your sign-in has expired');
      expect(await page.evaluate(() => sessionStorage.getItem('touchpoint.credential'))).toBeNull();

      // The issuer still knows the person: one click, no login page, and the same customer.
      await signInButton(page).click();
      await backAtConsole(page, stack());
      await page.locator(`[data-customer-id="${caller.customerId}"]`).waitFor();
    } finally {
      await close();
    }
  });
});
