/**
 * Which is the faster cold start: the AWS SDK v3 bundled (tree-shaken, minified) into the handler,
 * or left external and loaded from the Lambda runtime's node_modules?
 *
 *   node --import tsx infra/tools/measure-cold-start.ts [function-name ...] [--runs=N]
 *
 * Bundles each handler both ways with the bundling settings ProjectFunction deploys, then times
 * fresh `node` processes importing the bundle (the INIT phase's module loading and top-level code),
 * alternating the variants so drift in the machine affects both alike. The external variant
 * resolves `@aws-sdk/*` and `@smithy/*` through a `node_modules` link to this project's packages,
 * standing in for `/var/runtime/node_modules`. It is a measurement to run by hand, not a test:
 * absolute numbers depend on the machine, the ratio is what decides.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { handlerEntry } from '../../shared/http/routes.ts';
import { bundlingOptions, functionNodeOptions, projectRoot } from '../config/bundling.ts';

const variants = {
  bundled: bundlingOptions.external,
  'runtime-sdk': ['@aws-sdk/*', '@smithy/*'],
};
type Variant = keyof typeof variants;

const args = process.argv.slice(2);
const runs = Number(args.find((arg) => arg.startsWith('--runs='))?.slice('--runs='.length) ?? 25);
const functionNames = args.filter((arg) => !arg.startsWith('--'));
if (functionNames.length === 0) functionNames.push('publish-events', 'ingest-touchpoint');

const workDir = mkdtempSync(join(tmpdir(), 'touchpoint-cold-start-'));
symlinkSync(join(projectRoot, 'node_modules'), join(workDir, 'node_modules'), 'dir');

const lambdaLikeEnvironment = {
  PATH: process.env.PATH ?? '',
  NODE_OPTIONS: functionNodeOptions,
  AWS_REGION: 'eu-west-2',
  AWS_ACCESS_KEY_ID: 'measure',
  AWS_SECRET_ACCESS_KEY: 'measure',
  TABLE_NAME: 'touchpoint-measure',
  EVENT_BUS_NAME: 'touchpoint-measure',
  DEFAULT_PHONE_REGION: 'GB',
  POWERTOOLS_SERVICE_NAME: 'touchpoint-api',
  POWERTOOLS_METRICS_NAMESPACE: 'TouchpointApi',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

try {
  for (const functionName of functionNames) {
    const bundles = {} as Record<Variant, string>;
    for (const variant of Object.keys(variants) as Variant[]) {
      bundles[variant] = await bundle(functionName, variant);
    }
    const timings: Record<Variant, { importMs: number[]; processMs: number[] }> = {
      bundled: { importMs: [], processMs: [] },
      'runtime-sdk': { importMs: [], processMs: [] },
    };
    // One unrecorded run each warms the file cache, as Lambda's own caches would be.
    for (const variant of Object.keys(variants) as Variant[]) timeImport(bundles[variant]);
    for (let run = 0; run < runs; run += 1) {
      for (const variant of Object.keys(variants) as Variant[]) {
        const timing = timeImport(bundles[variant]);
        timings[variant].importMs.push(timing.importMs);
        timings[variant].processMs.push(timing.processMs);
      }
    }
    console.log(`\n${functionName} (${runs} fresh processes per variant)`);
    console.log('variant       bundle KB  import median  import p90  process median');
    for (const variant of Object.keys(variants) as Variant[]) {
      const { importMs, processMs } = timings[variant];
      console.log(
        [
          variant.padEnd(12),
          String(Math.round(statSync(bundles[variant]).size / 1024)).padStart(10),
          `${percentile(importMs, 50).toFixed(1)} ms`.padStart(14),
          `${percentile(importMs, 90).toFixed(1)} ms`.padStart(11),
          `${percentile(processMs, 50).toFixed(1)} ms`.padStart(15),
        ].join('  '),
      );
    }
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

async function bundle(functionName: string, variant: Variant): Promise<string> {
  const outDir = join(workDir, variant, functionName);
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'index.mjs');
  await build({
    entryPoints: [join(projectRoot, handlerEntry(functionName))],
    outfile,
    ...bundlingOptions,
    external: variants[variant],
    logLevel: 'error',
  });
  return outfile;
}

function timeImport(file: string): { importMs: number; processMs: number } {
  const script = join(workDir, 'import-once.mjs');
  writeFileSync(
    script,
    [
      'const started = performance.now();',
      'const module = await import(process.argv[2]);',
      "if (typeof module.handler !== 'function') throw new Error('no handler export');",
      'process.stdout.write(String(performance.now() - started));',
    ].join('\n'),
  );
  const spawned = performance.now();
  const output = execFileSync(process.execPath, [script, pathToFileURL(file).href], {
    env: lambdaLikeEnvironment,
    encoding: 'utf8',
    // Captured, not shown: the SDK warns about Node 20 on every start; a failure still reports it.
    stdio: 'pipe',
  });
  return { importMs: Number(output), processMs: performance.now() - spawned };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
