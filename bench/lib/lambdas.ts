/**
 * Per Lambda: the bundle as ProjectFunction deploys it (infra/config/bundling.ts: esbuild, ESM,
 * node22, minified, with its source map, the credential providers a Lambda never reaches left out),
 * its size, and a cold start measured in a fresh Node process (bench/lib/cold-start-probe.mjs)
 * with the function's NODE_OPTIONS.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bundlingOptions, projectRoot } from '../../infra/config/bundling.ts';

const bundlesDir = join(projectRoot, 'bench', '.bundles');
const probe = join(projectRoot, 'bench', 'lib', 'cold-start-probe.mjs');

export type SdkPackaging = 'bundled' | 'external';

export interface LambdaEvents {
  first: unknown;
  warm?: unknown;
}

export interface ColdStart {
  /** Importing the bundle: what Lambda reports as Init Duration, less the runtime's own start. */
  initMs: number;
  firstInvokeMs: number;
  warmInvokeMs: number;
  nodeStartMs: number;
  maxRssMb: number;
  outcome: string;
  /** The first error the function logged, if any (its logs are otherwise dropped). */
  error?: string;
}

export interface LambdaMeasurement {
  functionName: string;
  bundledBytes: number;
  bundledGzipBytes: number;
  /** With `@aws-sdk/*` left to the runtime's copy (CDK's default for Node 18+). */
  sdkExternalBytes: number;
  bundled?: ColdStart;
  sdkExternal?: ColdStart;
}

export function lambdaFunctionNames(): string[] {
  const functionsDir = join(projectRoot, 'functions');
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(functionsDir, entry.name, 'handler.ts')))
    .map((entry) => entry.name)
    .sort();
}

export async function bundleLambda(functionName: string, packaging: SdkPackaging): Promise<{ file: string; bytes: number; gzipBytes: number }> {
  const outfile = join(bundlesDir, packaging, functionName, 'index.mjs');
  rmSync(dirname(outfile), { recursive: true, force: true });
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [join(projectRoot, 'functions', functionName, 'handler.ts')],
    outfile,
    ...bundlingOptions,
    external: packaging === 'external' ? ['@aws-sdk/*'] : bundlingOptions.external,
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.metafile.outputs[relative(process.cwd(), outfile)] ?? Object.values(result.metafile.outputs)[0];
  return { file: outfile, bytes: output?.bytes ?? 0, gzipBytes: gzipSync(readFileSync(outfile)).length };
}

export async function coldStart(file: string, events: LambdaEvents | undefined, environment: Record<string, string>): Promise<ColdStart> {
  const eventsFile = join(dirname(file), 'events.json');
  writeFileSync(eventsFile, JSON.stringify(events ?? {}));
  const { stdout: output, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [probe, file, eventsFile], {
      // A clean environment, like a Lambda's: nothing of the benchmark process leaks in.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`cold start of ${file} exited ${code}: ${stderr.slice(-2000)}`)),
    );
  });
  const line = output.split('\n').find((candidate) => candidate.startsWith('{"nodeStartMs"'));
  if (!line) throw new Error(`cold start of ${file} printed no measurement: ${output.slice(-1000)}`);
  const parsed = JSON.parse(line) as Omit<ColdStart, 'outcome'> & { firstOutcome?: unknown; warmOutcome?: unknown };
  // In a Lambda-like environment Powertools writes errors to stderr.
  const error = `${output}\n${stderr}`.split('\n').find((candidate) => candidate.includes('"level":"ERROR"'));
  return {
    ...(error ? { error: error.slice(0, 1000) } : {}),
    initMs: parsed.initMs,
    firstInvokeMs: parsed.firstInvokeMs ?? 0,
    warmInvokeMs: parsed.warmInvokeMs ?? 0,
    nodeStartMs: parsed.nodeStartMs,
    maxRssMb: parsed.maxRssMb,
    outcome: `${parsed.firstOutcome ?? 'not invoked'}`,
  };
}

/** The median of several cold starts (this machine is shared and noisy); the peak memory is the highest seen. */
export async function medianColdStart(
  file: string,
  eventsFor: (run: number) => LambdaEvents | undefined,
  environment: Record<string, string>,
  repeats: number,
): Promise<ColdStart> {
  const runs: ColdStart[] = [];
  for (let run = 0; run < repeats; run += 1) runs.push(await coldStart(file, eventsFor(run), environment));
  const median = (pick: (run: ColdStart) => number) => {
    const sorted = runs.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  return {
    initMs: median((run) => run.initMs),
    firstInvokeMs: median((run) => run.firstInvokeMs),
    warmInvokeMs: median((run) => run.warmInvokeMs),
    nodeStartMs: median((run) => run.nodeStartMs),
    maxRssMb: Math.max(...runs.map((run) => run.maxRssMb)),
    outcome: [...new Set(runs.map((run) => run.outcome))].join('/'),
    ...(runs.some((run) => run.error) ? { error: runs.find((run) => run.error)?.error } : {}),
  };
}
