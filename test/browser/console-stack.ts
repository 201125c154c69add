import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildConsole } from '../../console/scripts/build.ts';
import { launchChromium } from '../helpers/browser.ts';
import { defaultTestKey } from '../helpers/credentials.ts';
import type { JsonClient } from '../helpers/json-client.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';

export const screenshotDir = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

export interface ConsoleStack {
  api: TestApi;
  browser: Browser;
}

/**
 * The console built as `npm start` serves it, the local API in-process on this file's table (the
 * authorizer cache off, so a revoked key is refused at once) and one Chromium for the file.
 */
export function useConsoleStack(): () => ConsoleStack {
  let stack: ConsoleStack | undefined;
  beforeAll(async () => {
    const [api, browser] = await Promise.all([startTestApi({ authorizerCacheSeconds: 0 }), launchChromium(), buildConsole()]);
    stack = { api, browser };
  });
  afterAll(async () => {
    await stack?.browser.close();
    await stack?.api.close();
  });
  return () => {
    if (!stack) throw new Error('The console stack starts in beforeAll');
    return stack;
  };
}

/** A fresh tab (its own sessionStorage) signed in with `key` through the sign-in form, at `search`. */
export async function signedIn(stack: ConsoleStack, search = '', key = defaultTestKey): Promise<{ page: Page; context: BrowserContext }> {
  const context = await stack.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' });
  const page = await context.newPage();
  await page.goto(`${stack.api.url}/console/${search}`);
  await page.getByLabel('API key').fill(key);
  await page.getByLabel('API key').press('Enter');
  return { page, context };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: `${screenshotDir}${name}.png`, fullPage: true });
}

/** A key with only these scopes, created through the admin route as an operator would. */
export async function createKey(client: JsonClient, name: string, scopes: string[]): Promise<{ key: string; keyId: string }> {
  const created = await client.post('/v1/keys', { name, scopes });
  if (created.status !== 201) throw new Error(`POST /v1/keys answered ${created.status}: ${JSON.stringify(created.body)}`);
  return { key: created.body.key, keyId: created.body.keyId };
}

/** Records a touchpoint and answers its customer and touchpoint ids. */
export async function record(client: JsonClient, touchpoint: Record<string, unknown>): Promise<{ customerId: string; touchpointId: string }> {
  const answer = await client.post('/v1/touchpoints', touchpoint);
  if (answer.status !== 201 && answer.status !== 200) throw new Error(`POST /v1/touchpoints answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { customerId: answer.body.customerId, touchpointId: answer.body.touchpointId };
}

export function call(phone: string, occurredAt: string, summary = 'Asked about delivery'): Record<string, unknown> {
  return {
    channel: 'call',
    identifiers: { phone },
    occurredAt,
    summary,
    details: { direction: 'inbound', durationSeconds: 120, outcome: 'answered', agentId: 'a-17' },
  };
}

export function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString();
}

/**
 * Records many touchpoints of one customer, one after the other: posted side by side (or as one
 * batch, which the API records eight at a time) they would contend for the customer's card and
 * back off, which on a busy machine takes longer than one at a time.
 */
export async function recordAll(client: JsonClient, touchpoints: Record<string, unknown>[]): Promise<void> {
  for (const touchpoint of touchpoints) await record(client, touchpoint);
}

/**
 * Types a search and presses Enter, then waits for this search's own answer: the card of an
 * earlier search still on screen must not pass for the new one.
 */
export async function searchFor(page: Page, text: string): Promise<void> {
  const answered = () => performance.getEntriesByName('touchpoint:lookup-answered').length;
  const before = await page.evaluate(answered);
  await page.getByLabel('Find a customer').fill(text);
  await page.getByLabel('Find a customer').press('Enter');
  await page.waitForFunction((count) => performance.getEntriesByName('touchpoint:lookup-answered').length > count, before);
}
