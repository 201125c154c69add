/// <reference lib="dom" />
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail, uniquePhone, unique } from '../fixtures/touchpoints.ts';
import { call, minutesAgo, record, recordAll, screenshot, searchFor, signedIn, useConsoleStack } from './console-stack.ts';

/** The agent's screens in a real Chromium against the local stack: screen pop, card, banner, timeline. */
const stack = useConsoleStack();

async function customerWithName(phone: string, name: string): Promise<string> {
  const { customerId } = await record(stack().api.client, call(phone, minutesAgo(60)));
  const named = await stack().api.client.send('PATCH', `/v1/customers/${customerId}`, {
    body: JSON.stringify({ displayName: name }),
    headers: { 'content-type': 'application/json' },
  });
  expect(named.status).toBe(200);
  return customerId;
}

describe('screen pop', () => {
  // One caller for the three formats, made before the tests so a busy machine's writes do not eat their time.
  const phone = uniquePhone();
  let adaId: string;
  beforeAll(async () => {
    adaId = await customerWithName(phone.e164, 'Ada Lovelace');
  });

  it.each([
    ['national', phone.national],
    ['international', phone.international],
    ['international with the trunk zero', phone.internationalWithTrunkZero],
  ])('finds the caller by a phone number typed in the %s format', async (_format, typed) => {
    const { page, context } = await signedIn(stack());
    try {
      await searchFor(page, typed);
      await page.locator(`[data-customer-id="${adaId}"]`).waitFor();
      expect(await page.locator('#card-name').textContent()).toContain('Ada Lovelace');
      // The card takes the focus: a screen reader announces who is calling.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('card-name');
      // "/" brings the agent back to the search box for the next call.
      await page.keyboard.press('/');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('search-text');
    } finally {
      await context.close();
    }
  });

  it('opens on ?phone= as call-centre software would, and measures the screen pop', async () => {
    const phone = uniquePhone();
    const customerId = await customerWithName(phone.e164, 'Grace Hopper');
    const { page, context } = await signedIn(stack(), `?phone=${encodeURIComponent(phone.national)}`);
    try {
      await page.locator(`[data-customer-id="${customerId}"]`).waitFor();
      await page.waitForFunction(() => performance.getEntriesByName('touchpoint:screen-pop').length > 0);
      const screenPopMs = await page.evaluate(() => performance.getEntriesByName('touchpoint:screen-pop')[0]?.duration ?? -1);
      console.log(`console screen pop: ${screenPopMs.toFixed(1)} ms from the lookup's answer to the painted card`);
      expect(screenPopMs).toBeGreaterThanOrEqual(0);
      // The URL now names the customer: a reload or a shared link shows the same card.
      expect(new URL(page.url()).searchParams.get('customerId')).toBe(customerId);
    } finally {
      await context.close();
    }
  });

  it('finds a customer by email, account and invoice number, and says so when nobody is known', async () => {
    const email = uniqueEmail();
    const account = `ACC-${unique()}`;
    const invoice = `INV-${unique()}`;
    const { customerId } = await record(stack().api.client, {
      channel: 'invoice_query',
      identifiers: { email, accountId: account, invoiceNumber: invoice },
      details: { invoiceNumber: invoice, status: 'open', amount: { value: 10, currency: 'GBP' } },
    });
    const { page, context } = await signedIn(stack());
    try {
      for (const typed of [email, account, invoice]) {
        await searchFor(page, typed);
        await page.locator(`[data-customer-id="${customerId}"]`).waitFor();
      }
      await searchFor(page, `nobody-${unique()}@example.com`);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('404');
    } finally {
      await context.close();
    }
  });
});

describe('recognition card', () => {
  it('shows name, value tier, open invoice queries with amount and age, last contact, last pages and preferred channel', async () => {
    const client = stack().api.client;
    const phone = uniquePhone();
    const email = uniqueEmail();
    const invoice = `INV-${unique()}`;
    const customerId = await customerWithName(phone.e164, 'Katherine Johnson');
    await record(client, {
      channel: 'invoice_query',
      identifiers: { phone: phone.e164, email },
      occurredAt: minutesAgo(3 * 24 * 60 + 5),
      details: { invoiceNumber: invoice, queryId: `Q-${unique()}`, status: 'open', reason: 'Charged twice', amount: { value: 129.99, currency: 'GBP' } },
    });
    await record(client, {
      channel: 'web_visit',
      identifiers: { email },
      occurredAt: minutesAgo(30),
      details: { url: 'https://shop.example/pricing', title: 'Pricing' },
    });
    const preferences = await client.send('PUT', `/v1/customers/${customerId}/preferences`, {
      body: JSON.stringify({ preferredChannel: 'email', receivedVia: 'call' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(preferences.status).toBe(200);
    await record(client, call(phone.e164, new Date().toISOString(), 'Wants a refund'));

    const { page, context } = await signedIn(stack(), `?phone=${encodeURIComponent(phone.national)}`);
    try {
      await page.locator(`[data-customer-id="${customerId}"]`).waitFor();
      await page.getByText('May be contacted on every channel now.').waitFor();
      expect(await page.locator('#card-name').textContent()).toContain('Katherine Johnson');
      expect(await page.getByTestId('tier').textContent()).toMatch(/^(platinum|gold|silver|bronze)$/);
      expect(await page.getByTestId('open-queries').textContent()).toBe(`${invoice}: £129.99, open 3 days (Charged twice)`);
      expect(await page.getByTestId('last-contact').textContent()).toContain('Wants a refund');
      expect(await page.getByTestId('recent-pages').textContent()).toContain('Pricing');
      expect(await page.getByTestId('preferred-channel').textContent()).toBe('email (stated)');
      await page
        .getByTestId('timeline-status')
        .getByText(/Showing \d+ touchpoints/)
        .waitFor();
      await screenshot(page, 'customer');
    } finally {
      await context.close();
    }
  });

  it('shows a do-not-contact banner when every channel is refused, and quiet hours when they apply', async () => {
    const client = stack().api.client;
    const phone = uniquePhone();
    const quietPhone = uniquePhone();
    const optedOut = await customerWithName(phone.e164, 'Opted Out');
    const quiet = await customerWithName(quietPhone.e164, 'Quiet Hours');
    const allOut = { phone: 'opted_out', email: 'opted_out', sms: 'opted_out', mail: 'opted_out' };
    for (const [customerId, body] of [
      [optedOut, { channels: allOut, receivedVia: 'call' }],
      // A quiet window round the clock, so the test does not depend on the hour it runs.
      [quiet, { quietHours: { start: '00:00', end: '23:59', timeZone: 'UTC' }, receivedVia: 'call' }],
    ] as const) {
      const answer = await client.send('PUT', `/v1/customers/${customerId}/preferences`, {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      expect(answer.status).toBe(200);
    }
    const { page, context } = await signedIn(stack(), `?customerId=${optedOut}`);
    try {
      const banner = page.getByRole('alert', { name: 'Contact restrictions' });
      await banner.waitFor();
      expect(await banner.locator('strong').textContent()).toBe('Do not contact');
      expect(await banner.textContent()).toContain('Not by phone: opted out');
      await screenshot(page, 'do-not-contact');

      await searchFor(page, quiet);
      await page.locator(`[data-customer-id="${quiet}"]`).waitFor();
      await banner.waitFor();
      expect(await banner.locator('strong').textContent()).toBe('Quiet hours');
      expect(await banner.textContent()).toContain('quiet hours now (00:00–23:59, UTC)');
    } finally {
      await context.close();
    }
  });
});

describe('timeline', () => {
  // One customer with 120 touchpoints for the three tests below, which only read: one an hour going
  // back from now (every fourth an email), and the first call ten days back.
  let customerId: string;
  beforeAll(async () => {
    const client = stack().api.client;
    const phone = uniquePhone();
    const email = uniqueEmail();
    ({ customerId } = await record(client, { ...call(phone.e164, minutesAgo(10 * 24 * 60)), identifiers: { phone: phone.e164, email } }));
    const items = Array.from({ length: 119 }, (_, index) =>
      index % 4 === 0
        ? {
            channel: 'email',
            identifiers: { email },
            occurredAt: minutesAgo((index + 1) * 60),
            summary: `Email ${index + 1}`,
            details: {
              direction: 'inbound',
              messageId: `<${unique()}@example.com>`,
              subject: `Subject ${index + 1}`,
              from: email,
              to: ['support@shop.example'],
            },
          }
        : { ...call(phone.e164, minutesAgo((index + 1) * 60), `Call ${index + 1}`) },
    );
    await recordAll(client, items);
  });

  it('pages through 120 touchpoints newest first with "Show more"', async () => {
    const { page, context } = await signedIn(stack(), `?customerId=${customerId}`);
    try {
      const status = page.getByTestId('timeline-status');
      await status.getByText('Showing 25 touchpoints, more available.').waitFor();
      for (const shown of [50, 75, 100]) {
        await page.getByRole('button', { name: 'Show more' }).click();
        await status.getByText(`Showing ${shown} touchpoints, more available.`).waitFor();
      }
      await page.getByRole('button', { name: 'Show more' }).click();
      await status.getByText('Showing 120 touchpoints.').waitFor();
      expect(await page.getByRole('button', { name: 'Show more' }).count()).toBe(0);
      const times = await page.locator('.touchpoints time').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('datetime') ?? ''));
      expect(times).toHaveLength(120);
      expect([...times].sort().reverse()).toEqual(times);
      const ids = await page.locator('.touchpoints li').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-touchpoint-id')));
      expect(new Set(ids).size).toBe(120);
    } finally {
      await context.close();
    }
  });

  it("filters by channel, pages within the filter, and opens a touchpoint's details from the keyboard", async () => {
    const { page, context } = await signedIn(stack(), `?customerId=${customerId}`);
    try {
      const status = page.getByTestId('timeline-status');
      await status.getByText('Showing 25 touchpoints, more available.').waitFor();
      await page.getByLabel('Email', { exact: true }).check();
      // Every email, "Show more" until there is no more: 30 of the 120, and nothing else.
      const settled = () =>
        page.waitForFunction(() => {
          const rows = [...document.querySelectorAll('.touchpoints li')];
          const loading = document.querySelector('[data-testid="timeline-status"]')?.textContent === 'Loading…';
          return !loading && rows.length > 0 && rows.every((row) => row.getAttribute('data-channel') === 'email');
        });
      await settled();
      while ((await status.textContent())?.includes('more available')) {
        await page.getByRole('button', { name: 'Show more' }).click();
        await settled();
      }
      expect(await status.textContent()).toBe('Showing 30 touchpoints.');
      const shownChannels = await page.locator('.touchpoints li').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-channel')));
      expect(new Set(shownChannels)).toEqual(new Set(['email']));

      // The newest email, an hour back, opened on demand.
      await page.locator('.touchpoints summary').first().focus();
      await page.keyboard.press('Enter');
      await page.getByText('Subject 1', { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('filters by date', async () => {
    const { page, context } = await signedIn(stack(), `?customerId=${customerId}`);
    try {
      const status = page.getByTestId('timeline-status');
      await status.getByText('Showing 25 touchpoints, more available.').waitFor();
      // Up to the end of the day a week ago: only the first call, ten days back (the rest are within five days).
      const weekAgo = new Date(Date.now() - 7 * 24 * 3_600_000).toISOString().slice(0, 10);
      await page.getByLabel('To', { exact: true }).fill(weekAgo);
      await status.getByText('Showing 1 touchpoint.').waitFor();
      expect(await page.locator('.touchpoints li').getAttribute('data-channel')).toBe('call');
      await screenshot(page, 'timeline-filtered');
    } finally {
      await context.close();
    }
  });
});
