/**
 * Builds the snippet into one minified file, clients/web/dist/touchpoint.js (an IIFE: a site
 * includes it with a plain script tag, no module loader). `npm run build:web` runs it; the browser
 * tests build it first, so they always test the source.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const snippetPath = fileURLToPath(new URL('./dist/touchpoint.js', import.meta.url));

export async function buildSnippet(): Promise<string> {
  mkdirSync(fileURLToPath(new URL('./dist/', import.meta.url)), { recursive: true });
  await build({
    entryPoints: [fileURLToPath(new URL('./src/touchpoint.ts', import.meta.url))],
    outfile: snippetPath,
    bundle: true,
    minify: true,
    format: 'iife',
    // Every browser with fetch keepalive and crypto.randomUUID.
    target: ['chrome92', 'firefox95', 'safari15.4'],
    legalComments: 'none',
  });
  return snippetPath;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`Built ${await buildSnippet()}`);
}
