import { expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';

test('the browser tests drive a real Chromium that runs scripts', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent('<p id="out"></p><script>document.getElementById("out").textContent = String(6 * 7)</script>');
    expect(await page.textContent('#out')).toBe('42');
    expect(browser.version()).toMatch(/^\d+\./);
  } finally {
    await browser.close();
  }
});
