import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTouchpointClient, type TouchpointClient } from '../../clients/typescript/src/index.ts';
import { writeLocalStack } from '../../dev/local-stack.ts';
import { registerKey } from '../helpers/credentials.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';
import { type InvoiceExport, invoiceExport } from './fixtures/invoice-export.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const exampleMap = JSON.parse(readFileSync(join(projectRoot, 'clients/import/examples/invoice-export.map.json'), 'utf8')) as Record<string, unknown>;
/** The bin `npm run import` runs (the root script names it), spawned as npm would. */
const bin = join(projectRoot, 'clients/import/bin/touchpoint-import.js');

let api: TestApi;
let client: TouchpointClient;
const key = `tpk_billing-export-${randomInt(1e9, 1e10)}-0000000000000000`;
const tag = `T${randomInt(1e6, 1e7)}`;
const workDir = mkdtempSync(join(tmpdir(), 'touchpoint-import-'));
const stateFile = join(workDir, 'local-stack.json');

beforeAll(async () => {
  api = await startTestApi();
  await registerKey(key, 'billing-export', ['touchpoints:write:invoice_query', 'touchpoints:write:letter', 'customers:read']);
  client = createTouchpointClient({ baseUrl: api.url, apiKey: key });
  // What npm start writes, through its own writer: the importer finds this stack as npm run keys does.
  const previous = process.env.TOUCHPOINT_LOCAL_STACK_FILE;
  process.env.TOUCHPOINT_LOCAL_STACK_FILE = stateFile;
  writeLocalStack({ apiUrl: api.url, dynamoDbEndpoint: process.env.DYNAMODB_ENDPOINT ?? '', tableName: 'unused', pid: process.pid });
  if (previous === undefined) delete process.env.TOUCHPOINT_LOCAL_STACK_FILE;
  else process.env.TOUCHPOINT_LOCAL_STACK_FILE = previous;
});

const children = new Set<ChildProcess>();

afterAll(async () => {
  // A test that failed half-way must not leave an import running into the next file's.
  for (const child of children) child.kill('SIGKILL');
  await api?.close();
});

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startImport(args: string[]): { child: ChildProcess; finished: Promise<Finished> } {
  const env: NodeJS.ProcessEnv = { ...process.env, TOUCHPOINT_LOCAL_STACK_FILE: stateFile, TOUCHPOINT_API_KEY: key };
  delete env.TOUCHPOINT_API_URL;
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const finished = new Promise<Finished>((resolveRun) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolveRun({ code, signal, stdout, stderr });
    }),
  );
  return { child, finished };
}

function runImport(args: string[]): Promise<Finished> {
  return startImport(args).finished;
}

function writeFixture(name: string, content: string | object): string {
  const path = join(workDir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Reads `name: N` lines of the summary. */
function counts(stdout: string): Record<string, number> {
  return Object.fromEntries([...stdout.matchAll(/^ {2}(stored|replayed|accepted|refused) +(\d+)/gm)].map((match) => [match[1], Number(match[2])]));
}

async function checkpointRows(path: string): Promise<number | undefined> {
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { rows: number }).rows;
  } catch {
    return undefined;
  }
}

/** Polls until the condition holds; gives up only when the import it watches has ended. */
async function waitFor(condition: () => Promise<boolean>, ended: () => boolean): Promise<void> {
  while (!(await condition())) {
    if (ended()) throw new Error('The import ended before the condition held');
    await new Promise((resolveTick) => setTimeout(resolveTick, 5));
  }
}

/** The invoice numbers on each account's timeline, as the API shows them. */
async function timelineInvoiceNumbers(accounts: Iterable<string>): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const account of accounts) {
    const lookup = await client.lookup({ accountId: account });
    if (lookup.kind !== 'found') throw new Error(`${account}: ${lookup.kind}`);
    const numbers: string[] = [];
    for await (const touchpoint of client.timeline(lookup.customer.customer.customerId)) {
      const details = touchpoint.details as { invoiceNumber?: string; reference?: string };
      numbers.push(details.invoiceNumber ?? details.reference ?? '?');
    }
    found.set(account, numbers.sort());
  }
  return found;
}

function sorted(byAccount: Map<string, string[]>): Map<string, string[]> {
  return new Map([...byAccount].map(([account, numbers]) => [account, [...numbers].sort()]));
}

describe('npm run import', () => {
  const exported: InvoiceExport = invoiceExport({ tag, rows: 40, accounts: 8 });
  const storedRows = exported.rows - exported.refused.length;
  const csv = writeFixture('invoices.csv', exported.csv);
  const mapFile = writeFixture('map.json', exampleMap);
  const checkpoint = `${csv}.checkpoint.json`;
  const rejects = `${csv}.rejects.jsonl`;

  it('resumes after a kill mid-import and stores every row exactly once, as the timelines show', async () => {
    const killed = startImport([csv, '--map', mapFile, '--batch-size', '4', '--concurrency', '2']);
    let ended = false;
    void killed.finished.then(() => {
      ended = true;
    });
    await waitFor(
      async () => ((await checkpointRows(checkpoint)) ?? 0) >= 12,
      () => ended,
    );
    killed.child.kill('SIGKILL');
    const kill = await killed.finished;
    const acknowledgedAtKill = (await checkpointRows(checkpoint)) ?? 0;

    const rerun = await runImport([csv, '--map', mapFile]);

    expect(kill.signal).toBe('SIGKILL');
    expect(acknowledgedAtKill).toBeLessThan(exported.rows);
    expect(rerun.stderr).toContain(`Importing into the stack npm start runs (${api.url})`);
    expect(rerun.code).toBe(2);
    expect(rerun.stdout).toContain(`${exported.rows} rows (resumed after row ${acknowledgedAtKill})`);
    const summary = counts(rerun.stdout);
    // The counts carry on from the checkpoint: a resume that sent acknowledged rows again would count them twice.
    // Rows sent but not acknowledged when the kill came are sent again and replayed (so are batches a slow
    // stack answered 503 for and the client retried with their key): stored and replayed add up, whatever the split.
    expect((summary.stored ?? 0) + (summary.replayed ?? 0)).toBe(storedRows);
    expect(summary.refused).toBe(exported.refused.length);
    expect(await timelineInvoiceNumbers(exported.storedByAccount.keys())).toEqual(sorted(exported.storedByAccount));
    expect(await checkpointRows(checkpoint)).toBeUndefined();
  });

  it('writes each refused row once, with the problem the API answered or the reason the map gave', async () => {
    const lines = (await readFile(rejects, 'utf8')).trim().split('\n');
    const written = lines.map(
      (line) => JSON.parse(line) as { row: number; refusedBy: string; field?: string; problem?: { status: number; errors?: { path: string }[] } },
    );

    expect(written.map(({ row, refusedBy }) => ({ row, refusedBy }))).toEqual(exported.refused.map(({ row, refusedBy }) => ({ row, refusedBy })));
    expect(written.find((reject) => reject.row === 6)?.field).toBe('occurredAt');
    expect(written.find((reject) => reject.row === 18)?.field).toBe('channel');
    expect(written.find((reject) => reject.row === 24)?.field).toBe('details.status');
    expect(written.find((reject) => reject.row === 12)?.problem).toMatchObject({ status: 422, errors: [{ path: 'identifiers' }] });
    expect(written.find((reject) => reject.row === 30)?.problem).toMatchObject({ status: 422, errors: [{ path: 'identifiers.email' }] });
  });

  it('replays every row of a finished file run again, and stores nothing twice', async () => {
    const again = await runImport([csv, '--map', mapFile]);

    expect(again.code).toBe(2);
    expect(counts(again.stdout)).toEqual({ stored: 0, replayed: storedRows, refused: exported.refused.length });
    expect(again.stdout).toMatch(/^ +1 {2}not mapped: occurredAt$/m);
    expect(again.stdout).toMatch(/^ +1 {2}422 validation-failed: identifiers.email$/m);
  });

  it('reads a semicolon-separated export with decimal commas, named by --delimiter, into a deployed-style --api and --key', async () => {
    const european = invoiceExport({ tag: `${tag}EU`, rows: 12, accounts: 3, delimiter: ';', decimalComma: true, clean: true });
    const file = writeFixture('factures.csv', european.csv);
    const map = exampleMap as { detailsByChannel: { invoice_query: Record<string, unknown> } };
    const commaMap = writeFixture('map-eu.json', {
      ...map,
      detailsByChannel: {
        ...map.detailsByChannel,
        invoice_query: { ...map.detailsByChannel.invoice_query, 'amount.value': { column: 'Amount', type: 'number', decimalSeparator: ',' } },
      },
    });

    const run = await runImport([file, '--map', commaMap, '--delimiter', ';', '--api', api.url, '--key', key]);
    const lookup = await client.lookup({ accountId: `ACC-${tag}EU-1` });
    const touchpoints = [];
    if (lookup.kind === 'found') for await (const touchpoint of client.timeline(lookup.customer.customer.customerId)) touchpoints.push(touchpoint);

    expect(run.code).toBe(0);
    expect(counts(run.stdout)).toEqual({ stored: 12, replayed: 0, refused: 0 });
    expect(run.stderr).not.toContain('npm start');
    // Row 10 of the export: 1,375.00 written as 1.375,00.
    expect(touchpoints.find((touchpoint) => (touchpoint.details as { invoiceNumber?: string }).invoiceNumber === `INV-${tag}EU-10`)?.details).toMatchObject({
      amount: { value: 1375, currency: 'GBP' },
      notes: 'Customer called, upset.\r\nPromised a call back; see ticket 4411',
    });
  });

  it('refuses a map naming a column the file lacks, before sending anything', async () => {
    const file = writeFixture('other.csv', 'Ref,Account\r\nR-1,ACC-1\r\n');

    const run = await runImport([file, '--map', mapFile]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('The map does not fit: The map names column(s) the header does not hold once: Type');
    expect(existsSync(`${file}.rejects.jsonl`)).toBe(false);
  });
});
