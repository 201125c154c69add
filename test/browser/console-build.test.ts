import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildConsole } from '../../console/scripts/build.ts';

/** The console's build: small enough for an agent's first load. Its API types are the client package's (test/client/drift.test.ts). */

/** The whole console (Preact, OIDC client and all), gzipped: what the first visit downloads. */
const bundleBudgetGzipBytes = 30 * 1024;

describe('console build', () => {
  it(`is one script under ${bundleBudgetGzipBytes / 1024} KB gzipped, with its stylesheet and page`, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'console-build-'));
    try {
      await buildConsole({ outDir, localConfig: false });
      expect(readdirSync(outDir).sort()).toEqual(['app.css', 'app.js', 'index.html']);
      const gzipped = (name: string) => gzipSync(readFileSync(join(outDir, name)), { level: 9 }).byteLength;
      const script = gzipped('app.js');
      console.log(`console bundle: app.js ${script} B gzipped, app.css ${gzipped('app.css')} B, index.html ${gzipped('index.html')} B`);
      expect(script).toBeLessThan(bundleBudgetGzipBytes);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
