/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';
import { call, createKey, minutesAgo, record, screenshot, signedIn, useConsoleStack } from './console-stack.ts';

/** Doubt and identity work in a real Chromium: shared numbers, moves, merges and undo, keys' limits, axe. */
const stack = useConsoleStack();

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2.1 AA rules over the page as it stands; answers each violation as `rule: targets`. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (context: Document, options: unknown) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }
    ).axe;
    const results = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  });
  return violations;
}

async function named(customerId: string, displayName: string): Promise<void> {
  const answer = await stack().api.client.send('PATCH', `/v1/customers/${customerId}`, {
    body: JSON.stringify({ displayName }),
    headers: { 'content-type': 'application/json' },
  });
  expect(answer.status).toBe(200);
}

/** Two people on one household landline: the call was recorded on the parent, the son has an email. */
interface Household {
  phone: string;
  parent: string;
  son: string;
  callId: string;
}

async function household(): Promise<Household> {
  const client = stack().api.client;
  const phone = uniquePhone();
  const { customerId: parent, touchpointId: callId } = await record(client, call(phone.e164, minutesAgo(20), 'Asked about the boiler'));
  const { customerId: son } = await record(client, {
    channel: 'email',
    identifiers: { email: uniqueEmail() },
    occurredAt: minutesAgo(90),
    details: { direction: 'inbound', messageId: `<${unique()}@example.com>`, subject: 'Order', from: 'x@example.com', to: ['support@shop.example'] },
  });
  const linked = await client.post(`/v1/customers/${son}/identifiers`, { type: 'phone', value: phone.e164, shared: true });
  expect(linked.status).toBe(201);
  await named(parent, 'Mary Parent');
  await named(son, 'Tom Son');
  return { phone: phone.national, parent, son, callId };
}

/** Made before the tests, side by side, so a busy machine's slow writes do not eat a test's time; each test has its own. */
function households(count: number): () => Household {
  const made: Household[] = [];
  beforeAll(async () => {
    made.push(...(await Promise.all(Array.from({ length: count }, household))));
  });
  return () => {
    const next = made.shift();
    if (!next) throw new Error('Ask households() for one more');
    return next;
  };
}

describe('a shared number', () => {
  const nextHousehold = households(3);
  it('lists the candidates with why each matched and their last contact, and opens the one chosen', async () => {
    const { phone, son } = nextHousehold();
    const { page, context } = await signedIn(stack(), `?phone=${encodeURIComponent(phone)}`);
    try {
      await page.getByRole('heading', { name: 'Who is calling?' }).waitFor();
      const candidates = page.locator('.candidates li');
      expect(await candidates.count()).toBe(2);
      const texts = await candidates.allTextContents();
      expect(texts.every((text) => text.includes('matched by shared phone'))).toBe(true);
      expect(texts.find((text) => text.includes('Mary Parent'))).toContain('last contact Call');
      expect(texts.find((text) => text.includes('Tom Son'))).toContain('last contact Email');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'shared-number');

      await page.getByRole('button', { name: 'Tom Son' }).click();
      await page.locator(`[data-customer-id="${son}"]`).waitFor();
      expect(await page.locator('#card-name').textContent()).toContain('Tom Son');
    } finally {
      await context.close();
    }
  });

  it('moves a touchpoint recorded on the wrong person, confirmed, to the right one', async () => {
    const { phone, parent, son, callId } = nextHousehold();
    const { page, context } = await signedIn(stack(), `?phone=${encodeURIComponent(phone)}`);
    try {
      await page.getByRole('button', { name: 'Mary Parent' }).click();
      const item = page.locator(`[data-touchpoint-id="${callId}"]`);
      await item.locator('summary').click();
      await item.getByRole('button', { name: 'Move to another customer…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Move this touchpoint' });
      await dialog.waitFor();
      expect(await dialog.getByLabel('To customer (id)').inputValue()).toBe(son);
      // Nothing moves without a reason for the audit trail.
      expect(await dialog.getByRole('button', { name: 'Move' }).isDisabled()).toBe(true);
      await dialog.getByLabel('Reason').fill('It was her son calling');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'move-dialog');
      await dialog.getByRole('button', { name: 'Move' }).click();
      await dialog.waitFor({ state: 'detached' });
      await item.waitFor({ state: 'detached' });

      const sonsTimeline = await stack().api.client.get(`/v1/customers/${son}/timeline`);
      expect(sonsTimeline.body.items.map((touchpoint: { touchpointId: string }) => touchpoint.touchpointId)).toContain(callId);
      const parentsTimeline = await stack().api.client.get(`/v1/customers/${parent}/timeline`);
      expect(parentsTimeline.body.items.map((touchpoint: { touchpointId: string }) => touchpoint.touchpointId)).not.toContain(callId);
    } finally {
      await context.close();
    }
  });

  it('shows the problem the API answers when a move is refused, and moves nothing', async () => {
    const { phone, parent, callId } = nextHousehold();
    const { page, context } = await signedIn(stack(), `?phone=${encodeURIComponent(phone)}`);
    try {
      await page.getByRole('button', { name: 'Mary Parent' }).click();
      const item = page.locator(`[data-touchpoint-id="${callId}"]`);
      await item.locator('summary').click();
      await item.getByRole('button', { name: 'Move to another customer…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Move this touchpoint' });
      await dialog.getByLabel('To customer (id)').fill('cus_00000000000000000000000000');
      await dialog.getByLabel('Reason').fill('A slip of the keyboard');
      await dialog.getByRole('button', { name: 'Move' }).click();
      const alert = dialog.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/\((404|409|422)\)/);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      const timeline = await stack().api.client.get(`/v1/customers/${parent}/timeline`);
      expect(timeline.body.items.map((touchpoint: { touchpointId: string }) => touchpoint.touchpointId)).toContain(callId);
    } finally {
      await context.close();
    }
  });
});

/** Two known customers, then one touchpoint naming the email of one and the phone of the other. */
async function mergeCandidate(): Promise<{ first: string; second: string }> {
  const client = stack().api.client;
  const email = uniqueEmail();
  const phone = uniquePhone();
  const { customerId: first } = await record(client, call(uniquePhone().e164, minutesAgo(60)));
  const linked = await client.post(`/v1/customers/${first}/identifiers`, { type: 'email', value: email });
  expect(linked.status).toBe(201);
  const { customerId: second } = await record(client, call(phone.e164, minutesAgo(50)));
  await record(client, {
    channel: 'email',
    identifiers: { email, phone: phone.e164 },
    occurredAt: minutesAgo(5),
    details: { direction: 'inbound', messageId: `<${unique()}@example.com>`, subject: 'Both', from: email, to: ['support@shop.example'] },
  });
  return { first, second };
}

describe('identity work', () => {
  const candidates: { first: string; second: string }[] = [];
  beforeAll(async () => {
    candidates.push(...(await Promise.all([mergeCandidate(), mergeCandidate(), mergeCandidate()])));
  });
  it('lists a merge candidate and merges it after confirmation, keeping the customer chosen', async () => {
    const { first, second } = candidates.shift()!;
    const { page, context } = await signedIn(stack(), '?review');
    try {
      const row = page.locator('[data-candidate-id]', { hasText: first }).filter({ hasText: second });
      await row.waitFor();
      const [keep, source] = (await row.locator('button.link').allTextContents()) as [string, string];
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'merge-candidates');
      await row.getByRole('button', { name: 'Merge…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Merge these customers' });
      await dialog.getByLabel('Reason').fill('Same person, confirmed on the phone');
      await dialog.getByRole('button', { name: 'Merge' }).click();
      await page.getByRole('status').getByText(`Merged ${source} into ${keep}.`, { exact: false }).waitFor();
      await row.waitFor({ state: 'detached' });
      const merged = await stack().api.client.get(`/v1/customers/${keep}/merges`);
      const entry = merged.body.items.find((item: { kind: string; sourceCustomerId: string }) => item.kind === 'merge' && item.sourceCustomerId === source);
      expect(entry).toMatchObject({ status: 'completed', reason: 'Same person, confirmed on the phone' });
    } finally {
      await context.close();
    }
  });

  it('undoes a merge from its entry in the audit trail, after confirmation', async () => {
    const { first, second } = candidates.shift()!;
    const merge = await stack().api.client.post(`/v1/customers/${first}/merge`, { sourceCustomerId: second, reason: 'Looked like the same person' });
    expect(merge.status).toBe(201);
    const { page, context } = await signedIn(stack(), `?customerId=${first}`);
    try {
      const entry = page.locator(`[data-merge-id="${merge.body.mergeId}"]`);
      await entry.getByRole('button', { name: 'Undo…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Undo this merge' });
      await dialog.getByRole('button', { name: 'Undo' }).click();
      await dialog.waitFor({ state: 'detached' });
      await entry.filter({ hasText: 'Merge undone' }).waitFor();
      const after = await stack().api.client.get(`/v1/customers/${first}/merges`);
      expect(after.body.items.find((item: { mergeId: string }) => item.mergeId === merge.body.mergeId)?.status).toBe('undone');
      expect((await stack().api.client.get(`/v1/customers/${second}`)).body.customer.customerId).toBe(second);
    } finally {
      await context.close();
    }
  });

  it('dismisses a merge candidate after confirmation', async () => {
    const { first, second } = candidates.shift()!;
    const { page, context } = await signedIn(stack(), '?review');
    try {
      const row = page.locator('[data-candidate-id]', { hasText: first }).filter({ hasText: second });
      await row.getByRole('button', { name: 'Dismiss…' }).click();
      await page.getByRole('dialog', { name: 'Dismiss this candidate' }).getByRole('button', { name: 'Dismiss' }).click();
      await row.waitFor({ state: 'detached' });
      const open = await stack().api.client.get('/v1/merge-candidates?limit=100');
      const candidate = open.body.items.find((item: { customerIds: string[] }) => item.customerIds.includes(first) && item.customerIds.includes(second));
      expect(candidate?.status ?? 'gone').not.toBe('open');
    } finally {
      await context.close();
    }
  });
});

describe('the credential', () => {
  const nextHousehold = households(3);
  it('a read-only key sees the card and timeline but no merge, move or review action', async () => {
    const { phone } = nextHousehold();
    const { key } = await createKey(stack().api.client, `read-only-${unique()}`, ['customers:read']);
    const { page, context } = await signedIn(stack(), `?phone=${encodeURIComponent(phone)}`, key);
    try {
      await page.getByRole('button', { name: 'Mary Parent' }).click();
      await page
        .getByTestId('timeline-status')
        .getByText(/Showing \d+ touchpoint/)
        .waitFor();
      await page.locator('.touchpoints summary').first().click();
      await page.getByRole('heading', { name: 'Merges and moves' }).waitFor();
      expect(await page.getByRole('button', { name: 'Move to another customer…' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Merge candidates' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Undo…' }).count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a key that may not read customers is shown the refusal, not an empty screen', async () => {
    const { phone } = nextHousehold();
    const { key } = await createKey(stack().api.client, `write-only-${unique()}`, ['touchpoints:write:call']);
    const { page, context } = await signedIn(stack(), `?phone=${encodeURIComponent(phone)}`, key);
    try {
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('Forbidden (403)');
    } finally {
      await context.close();
    }
  });

  it('a key revoked while in use is refused with the problem shown, and signing out forgets it', async () => {
    const { phone } = nextHousehold();
    const { key, keyId } = await createKey(stack().api.client, `agent-${unique()}`, ['customers:read', 'identity:merge']);
    const { page, context } = await signedIn(stack(), `?phone=${encodeURIComponent(phone)}`, key);
    try {
      await page.getByRole('heading', { name: 'Who is calling?' }).waitFor();
      expect((await stack().api.client.send('DELETE', `/v1/keys/${keyId}`)).status).toBe(200);
      await page.getByRole('button', { name: 'Mary Parent' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('revoked');
      await screenshot(page, 'revoked-key');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('API key').waitFor();
      expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain(key);
    } finally {
      await context.close();
    }
  });

  it('the sign-in screen keeps the key in session storage only, and is axe clean', async () => {
    const context = await stack().browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    try {
      await page.goto(`${stack().api.url}/console`);
      await page.getByLabel('API key').waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'sign-in');
      await page.getByLabel('API key').fill('tpk_not-a-real-key');
      await page.getByLabel('API key').press('Enter');
      await page.getByLabel('Find a customer').waitFor();
      expect(
        await page.evaluate(() => ({ local: localStorage.length, cookies: document.cookie, session: sessionStorage.getItem('touchpoint.credential') })),
      ).toEqual({
        local: 0,
        cookies: '',
        session: JSON.stringify({ kind: 'api-key', secret: 'tpk_not-a-real-key' }),
      });
    } finally {
      await context.close();
    }
  });
});
