import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

/** Debian's package; Playwright's own browser download is not reachable from these machines. */
export const chromiumPath = '/usr/bin/chromium';

const installScript = fileURLToPath(new URL('../browser/install-chromium.sh', import.meta.url));

/** Installs Chromium when it is missing; called once per run from the global setup, never per file (apt takes a lock). */
export function ensureChromium(): void {
  if (existsSync(chromiumPath)) return;
  execFileSync('bash', [installScript], { stdio: 'inherit' });
}

/** A headless Chromium; the caller closes it. `--no-sandbox` because CI runs as root. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
}
