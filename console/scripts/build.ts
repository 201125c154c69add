/**
 * Builds the console into console/dist: one minified ES module (Preact and all), its stylesheet,
 * index.html and, for `npm start`, a config.json naming the API on the same origin. The CDK app
 * deploys dist without that config.json and writes the deployment's own.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const consoleDist = fileURLToPath(new URL('../dist/', import.meta.url));
export const consoleSource = fileURLToPath(new URL('../src/', import.meta.url));
const source = consoleSource;

export interface BuildOptions {
  /** Where to write; console/dist unless given (the CDK app bundles into its asset folder). */
  outDir?: string;
  /** The same-origin config.json `npm start` uses; a deployment writes its own instead. */
  localConfig?: boolean;
}

export async function buildConsole(options: BuildOptions = {}): Promise<{ bytes: number }> {
  const outDir = options.outDir ? `${options.outDir.replace(/\/$/, '')}/` : consoleDist;
  mkdirSync(outDir, { recursive: true });
  /** Written aside then renamed: a build running beside a server (or another build) never serves half a file. */
  const writeAtomically = (name: string, contents: string | Uint8Array) => {
    const aside = `${outDir}.${name}.${process.pid}.tmp`;
    writeFileSync(aside, contents);
    renameSync(aside, `${outDir}${name}`);
  };
  const result = await build({
    entryPoints: [`${source}main.tsx`],
    outfile: `${outDir}app.js`,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
    write: false,
  });
  const [bundle] = result.outputFiles;
  if (!bundle) throw new Error('esbuild wrote no bundle');
  writeAtomically('app.js', bundle.contents);
  writeAtomically('index.html', readFileSync(`${source}index.html`));
  writeAtomically('app.css', readFileSync(`${source}app.css`));
  if (options.localConfig !== false) writeAtomically('config.json', `${JSON.stringify({ apiBaseUrl: '' })}\n`);
  return { bytes: bundle.contents.byteLength };
}

// `build.ts [outDir]`: with an out dir (the CDK asset bundling), no local config.json.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  await buildConsole(outDir ? { outDir, localConfig: false } : {});
}
