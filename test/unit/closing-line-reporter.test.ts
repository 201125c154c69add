import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const fixtures = fileURLToPath(new URL('../fixtures/closing-line/', import.meta.url));

test('the closing line counts a failed test, a failed hook and a file that failed to load as failures', async () => {
  const run = await promisify(execFile)('npx', ['vitest', 'run', '--config', `${fixtures}vitest.config.ts`], {
    cwd: fixtures,
    env: { ...process.env, CI: 'true' },
  }).catch((error: { stdout: string }) => error);

  expect(run.stdout.trim().split('\n').at(-1)).toBe('1 passed, 3 failed, 1 skipped');
});
