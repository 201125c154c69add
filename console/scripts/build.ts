/**
 * Builds the console into console/dist: one minified ES module (Preact and all), its stylesheet,
 * index.html and, for `npm start`, a config.json naming the API on the same origin. The CDK app
 * deploys dist without that config.json and writes the deployment's own.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const consoleDist = fileURLToPath(new URL('../dist/', import.meta.url));
const source = fileURLToPath(new URL('../src/', import.meta.url));

export async function buildConsole(): Promise<void> {
  mkdirSync(consoleDist, { recursive: true });
  await build({
    entryPoints: [`${source}main.tsx`],
    outfile: `${consoleDist}app.js`,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(`${source}index.html`, `${consoleDist}index.html`);
  copyFileSync(`${source}app.css`, `${consoleDist}app.css`);
  writeFileSync(`${consoleDist}config.json`, `${JSON.stringify({ apiBaseUrl: '' })}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildConsole();
