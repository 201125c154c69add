/**
 * `npm run import -- invoices.csv --map map.json`: a CSV export into the Touchpoint API, one
 * touchpoint per row, exactly once however often it is run (see docs/connectors.md, "CSV import").
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import * as z from 'zod';
import { readLocalStack } from '../../../dev/local-stack.ts';
import { createTouchpointClient } from '../../typescript/src/index.ts';
import { ImportInterruptedError, type ImportSummary, importFile, type Progress } from './import.ts';
import { MapError, parseMap } from './map.ts';

const usage = `Usage: npm run import -- <file.csv> --map <map.json> [options]

  --map FILE          How columns become touchpoints (see clients/import/examples/invoice-export.map.json)
  --api URL           The API's origin (or TOUCHPOINT_API_URL); default: the stack npm start runs
  --key KEY           An API key (or TOUCHPOINT_API_KEY, which keeps it out of the shell's history)
  --delimiter CHAR    The field separator, e.g. ";" or tab (overrides the map's; default ",")
  --batch-size N      Rows a request, 1 to 100 (default 100)
  --concurrency N     Requests in flight, 1 to 16 (default 4)
  --checkpoint FILE   Where progress is kept for a rerun after an interruption (default <file>.checkpoint.json)
  --rejects FILE      Where refused rows go, one JSON line each (default <file>.rejects.jsonl)
  --quiet             No progress bar (there is none when stderr is not a terminal)

Exit status: 0 every row stored or replayed; 2 some rows refused; 1 the import could not run or stopped.`;

class UsageError extends Error {}

const optionsSchema = z.object({
  batchSize: z.coerce.number().int().min(1).max(100).default(100),
  concurrency: z.coerce.number().int().min(1).max(16).default(4),
});

/** npm runs scripts from the project's root: paths the user typed are relative to where they typed them. */
function fromUser(path: string): string {
  const base = process.env.npm_lifecycle_event === 'import' ? (process.env.INIT_CWD ?? process.cwd()) : process.cwd();
  return isAbsolute(path) ? path : resolve(base, path);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      map: { type: 'string' },
      api: { type: 'string' },
      key: { type: 'string' },
      delimiter: { type: 'string' },
      'batch-size': { type: 'string' },
      concurrency: { type: 'string' },
      checkpoint: { type: 'string' },
      rejects: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const [csv, ...extra] = positionals;
  if (!csv || extra.length > 0) throw new UsageError('Name one CSV file.');
  if (!values.map) throw new UsageError('--map names the map file.');
  const tuning = optionsSchema.safeParse({ batchSize: values['batch-size'], concurrency: values.concurrency });
  if (!tuning.success) throw new UsageError(tuning.error.issues.map((issue) => `--${kebab(String(issue.path[0]))} ${issue.message}`).join('; '));

  const file = fromUser(csv);
  const map = parseMap(await readJson(fromUser(values.map)));
  if (values.delimiter !== undefined) map.delimiter = values.delimiter === 'tab' ? '\t' : values.delimiter;
  const api = target(values.api, values.key);

  const bar = !values.quiet && process.stderr.isTTY ? progressBar() : undefined;
  let summary: ImportSummary;
  try {
    summary = await importFile({
      file,
      map,
      apiUrl: api.url,
      client: createTouchpointClient({
        baseUrl: api.url,
        apiKey: api.key,
        // An import may meet a throttled API for a while: more patience than an interactive caller.
        retry: { maxAttempts: 8, baseDelayMs: 500, maxDelayMs: 30_000 },
      }),
      checkpointFile: values.checkpoint ? fromUser(values.checkpoint) : `${file}.checkpoint.json`,
      rejectsFile: values.rejects ? fromUser(values.rejects) : `${file}.rejects.jsonl`,
      ...tuning.data,
      ...(bar ? { onProgress: bar.update } : {}),
    });
  } finally {
    bar?.stop();
  }
  console.log(formatSummary(csv, api.url, summary));
  return summary.counts.refused > 0 ? 2 : 0;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read the map ${path}: ${error.code ?? error.message}`);
  });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MapError(`The map ${path} is not JSON: ${(error as Error).message}`);
  }
}

/** The API named, else the stack npm start runs (found as npm run keys finds it). */
function target(apiOption: string | undefined, keyOption: string | undefined): { url: string; key: string } {
  let url = apiOption ?? process.env.TOUCHPOINT_API_URL;
  if (!url) {
    const local = readLocalStack();
    if (!local) throw new UsageError('No API named (--api or TOUCHPOINT_API_URL) and no local stack running (npm start).');
    console.error(`Importing into the stack npm start runs (${local.apiUrl})`);
    url = local.apiUrl;
  }
  const key = keyOption ?? process.env.TOUCHPOINT_API_KEY;
  if (!key) {
    throw new UsageError(
      'No API key (--key or TOUCHPOINT_API_KEY). Create one for the exporting system, e.g. ' +
        'npm run keys -- create --name billing-import --scopes touchpoints:write:invoice_query,customers:read ' +
        '(customers:read lets the summary tell stored rows from replayed ones).',
    );
  }
  return { url: url.replace(/\/+$/, ''), key };
}

/** On stderr, so that stdout is the summary alone; drawn from the first acknowledged batch, when the file's size is known. */
function progressBar(): { update(progress: Progress): void; stop(): void } {
  const bar = new SingleBar(
    {
      format: '{bar} {percentage}% | {rows} rows | {stored} stored, {replayed} replayed, {refused} refused | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const payload = { rows: progress.rows, ...progress.counts };
      if (!started) bar.start(progress.totalBytes, 0, payload);
      started = true;
      bar.update(progress.bytes, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function formatSummary(file: string, apiUrl: string, summary: ImportSummary): string {
  const { counts } = summary;
  const resumed = summary.resumedAfter > 0 ? ` (resumed after row ${summary.resumedAfter})` : '';
  const lines = [`${file} into ${apiUrl}: ${summary.rows} rows${resumed}`, `  stored    ${counts.stored}`, `  replayed  ${counts.replayed}`];
  if (counts.accepted > 0) lines.push(`  accepted  ${counts.accepted} (the key cannot read customers: new or replayed is not said)`);
  lines.push(`  refused   ${counts.refused}${summary.rejectsFile ? ` (each row and why: ${summary.rejectsFile})` : ''}`);
  for (const { reason, rows } of summary.reasons) lines.push(`    ${String(rows).padStart(5)}  ${reason}`);
  return lines.join('\n');
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) console.error(`${error.message}\n\n${usage}`);
  else if (error instanceof MapError) console.error(`The map does not fit: ${error.message}`);
  else if (error instanceof ImportInterruptedError) console.error(`The import stopped: ${error.message}`);
  else console.error(`import: ${(error as Error).message}`);
  process.exitCode = 1;
}
