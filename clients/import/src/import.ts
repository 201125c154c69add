import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rm, stat, truncate } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse';
import { type components, type TouchpointClient, TouchpointApiError, unwrap } from '../../typescript/src/index.ts';
import { type Counts, readCheckpoint, removeCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { compileMap, type ImportMap, MapError, type MappedRow, type MappedTouchpoint } from './map.ts';

type BatchResult = components['schemas']['BatchResults']['results'][number];
type Problem = components['schemas']['Problem'];

export interface ImportOptions {
  file: string;
  map: ImportMap;
  client: TouchpointClient;
  /** The API imported into: a checkpoint is resumed only against the API it was made with. */
  apiUrl: string;
  checkpointFile: string;
  rejectsFile: string;
  /** Rows a request (1 to 100, the batch route's limit). */
  batchSize?: number;
  /** Batch requests in flight at once. */
  concurrency?: number;
  /** Attempts for an item the API answered 503 for (it stored nothing for it): sent again, with its key, after the Retry-After it named. */
  itemAttempts?: number;
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  /** Bytes of the file read up to the last acknowledged row, of `totalBytes`. */
  bytes: number;
  totalBytes: number;
  /** Rows acknowledged, those of an earlier run resumed included. */
  rows: number;
  counts: Counts;
}

export interface ImportSummary {
  /** Data rows in the file (the header is not one). */
  rows: number;
  /** Rows an earlier, interrupted run had acknowledged, not sent again. */
  resumedAfter: number;
  counts: Counts;
  /** Refusals by kind, most frequent first (the rejects file has each row's). */
  reasons: { reason: string; rows: number }[];
  /** Set when rows were refused. */
  rejectsFile?: string;
}

/** The import stopped before its end; the checkpoint keeps what was acknowledged, so running it again resumes. */
export class ImportInterruptedError extends Error {}

/**
 * A row refused: by the file (a broken record), by the map (a cell it cannot read) or by the API
 * (its problem). `row` counts data rows from 1, the header apart: a spreadsheet shows it one lower.
 */
export type Reject =
  | { row: number; refusedBy: 'file' | 'map'; field?: string; detail: string; values: Record<string, string> }
  | { row: number; refusedBy: 'api'; problem: Problem; values: Record<string, string> };

interface Entry {
  row: number;
  /** Bytes read when the row was parsed: the progress once it is acknowledged. */
  bytes: number;
  values: Record<string, string>;
  mapped: MappedRow | { kind: 'broken'; detail: string };
}

interface Batch {
  entries: Entry[];
  results: Promise<Map<Entry, BatchResult>>;
}

/** The batch route's own limit is 256 KB: a batch is cut before it, whatever its count. */
const maxBatchChars = 200_000;
const defaultItemAttempts = 5;

/**
 * Streams the file through the map to the batch route, one batch after another in flight, and
 * acknowledges batches in file order: each acknowledged batch's refusals go to the rejects file,
 * then the checkpoint moves past it. A rerun after a kill skips what was acknowledged and sends
 * the rest; a row sent but not acknowledged is sent again with its idempotency key and replayed.
 */
export async function importFile(options: ImportOptions): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? 100;
  const concurrency = options.concurrency ?? 4;
  const { size: totalBytes, mtimeMs } = await stat(options.file);
  const run = createHash('sha256')
    .update(JSON.stringify([options.file, totalBytes, mtimeMs, options.apiUrl, options.map]))
    .digest('base64url');
  const checkpoint = await usableCheckpoint(options, run);
  const resumedAfter = checkpoint?.rows ?? 0;
  const counts: Counts = checkpoint ? { ...checkpoint.counts } : { stored: 0, replayed: 0, accepted: 0, refused: 0 };
  const reasons = new Map(Object.entries(checkpoint?.reasons ?? {}));

  // Opened once the header fits the map, so that a map that does not fit leaves the last run's rejects as they were.
  let rejects: FileHandle | undefined;
  const openRejects = async () => {
    const handle = await open(options.rejectsFile, checkpoint ? 'a' : 'w');
    // What a killed run wrote after its checkpoint is written again by this one.
    if (checkpoint) await truncate(options.rejectsFile, checkpoint.rejectsBytes);
    return handle;
  };
  let rejectsBytes = checkpoint?.rejectsBytes ?? 0;

  const inFlight: Batch[] = [];
  let acknowledged = resumedAfter;

  // Once a batch has failed, no later one may move the checkpoint past its rows.
  let batchFailed = false;
  const acknowledge = async (batch: Batch) => {
    const results = await batch.results.catch((error: unknown) => {
      batchFailed = true;
      throw error;
    });
    let lines = '';
    for (const entry of batch.entries) {
      const reject = outcomeOf(entry, results.get(entry), counts);
      if (!reject) continue;
      counts.refused += 1;
      const reason = reasonOf(reject);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      lines += `${JSON.stringify(reject)}\n`;
    }
    if (lines) {
      const bytes = Buffer.from(lines);
      await rejects?.write(bytes);
      rejectsBytes += bytes.length;
    }
    const last = batch.entries.at(-1) as Entry;
    acknowledged = last.row;
    await writeCheckpoint(options.checkpointFile, { run, rows: acknowledged, counts, reasons: Object.fromEntries(reasons), rejectsBytes });
    options.onProgress?.({ bytes: last.bytes, totalBytes, rows: acknowledged, counts });
  };

  let pending: Entry[] = [];
  let pendingChars = 0;
  const dispatch = async () => {
    if (pending.length === 0) return;
    const entries = pending;
    pending = [];
    pendingChars = 0;
    const results = sendBatch(options.client, entries, options.itemAttempts ?? defaultItemAttempts);
    // Awaited in file order; a later batch failing while an earlier one is awaited is not unhandled.
    results.catch(() => undefined);
    inFlight.push({ entries, results });
    if (inFlight.length >= concurrency) await acknowledge(inFlight.shift() as Batch);
  };

  const parser = createReadStream(options.file).pipe(
    parse({
      bom: true,
      delimiter: options.map.delimiter,
      info: true,
      // A record with too few or too many fields is refused as a row, not the end of the import.
      relax_column_count: true,
      // Exports write `5" screen` unquoted; only a quote opening a field starts a quoted one.
      relax_quotes: true,
      skip_empty_lines: true,
    }),
  );

  let header: string[] | undefined;
  let mapRow: ((row: ReadonlyMap<string, string>) => MappedRow) | undefined;
  let row = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      if (!header) {
        header = record.map((name) => name.trim());
        mapRow = compileMap(options.map, header);
        rejects = await openRejects();
        continue;
      }
      row += 1;
      if (row <= resumedAfter) continue;
      const values = Object.fromEntries(header.map((name, index) => [name, record[index] ?? '']));
      const mapped: Entry['mapped'] =
        record.length === header.length
          ? (mapRow as NonNullable<typeof mapRow>)(new Map(Object.entries(values)))
          : { kind: 'broken', detail: `has ${record.length} fields where the header has ${header.length}` };
      const entry: Entry = { row, bytes: info.bytes, values, mapped };
      const chars = mapped.kind === 'mapped' ? JSON.stringify(mapped.touchpoint).length : 0;
      if (pendingChars + chars > maxBatchChars) await dispatch();
      pending.push(entry);
      pendingChars += chars;
      if (pending.length >= batchSize) await dispatch();
    }
    if (!header) throw new Error('The file is empty: it has no header row');
    await dispatch();
    while (inFlight.length > 0) await acknowledge(inFlight.shift() as Batch);
  } catch (error) {
    // A map that does not fit the header stops before anything was sent.
    if (error instanceof MapError) throw error;
    // Answers already on their way before the failure are kept: each one acknowledged is a batch the rerun skips.
    for (const batch of inFlight.splice(0)) {
      if (batchFailed) break;
      await acknowledge(batch).catch(() => undefined);
    }
    await rejects?.close();
    const reached = acknowledged === 0 ? 'no row was acknowledged' : `rows 1 to ${acknowledged} are acknowledged`;
    throw new ImportInterruptedError(`${(error as Error).message} (${reached}; run the same command again to go on from there)`, { cause: error });
  }
  await rejects?.close();
  await removeCheckpoint(options.checkpointFile);
  if (counts.refused === 0) await removeEmptyFile(options.rejectsFile);
  return {
    rows: row,
    resumedAfter,
    counts,
    reasons: [...reasons].map(([reason, rows]) => ({ reason, rows })).sort((a, b) => b.rows - a.rows),
    ...(counts.refused > 0 ? { rejectsFile: options.rejectsFile } : {}),
  };
}

/** Counts a stored, replayed or accepted row; answers the reject of a refused one. */
function outcomeOf(entry: Entry, result: BatchResult | undefined, counts: Counts): Reject | undefined {
  const base = { row: entry.row };
  if (entry.mapped.kind === 'broken') return { ...base, refusedBy: 'file', detail: entry.mapped.detail, values: entry.values };
  if (entry.mapped.kind === 'refused') return { ...base, refusedBy: 'map', field: entry.mapped.field, detail: entry.mapped.detail, values: entry.values };
  if (!result) throw new Error(`No answer for row ${entry.row}`);
  if (isProblem(result)) return { ...base, refusedBy: 'api', problem: result, values: entry.values };
  if (result.status === 201) counts.stored += 1;
  else if (result.status === 200) counts.replayed += 1;
  // A write-only key (no customers:read) is told only that the row was taken, new or not.
  else counts.accepted += 1;
  return undefined;
}

function reasonOf(reject: Reject): string {
  if (reject.refusedBy !== 'api') return reject.refusedBy === 'file' ? 'broken record (field count)' : `not mapped: ${reject.field}`;
  const { problem } = reject;
  const kind = problem.type.replace('urn:touchpoint-api:problem:', '');
  const fields = [...new Set((problem.errors ?? []).map((error) => error.path))];
  return `${problem.status} ${kind}${fields.length > 0 ? `: ${fields.join(', ')}` : ''}`;
}

function isProblem(result: BatchResult): result is Problem {
  return 'type' in result;
}

/**
 * One batch request for the entries' mapped rows, and again for the items the API answered 503
 * for (nothing was stored for them; each carries its own key, so sending it again is safe). A
 * whole request refused (a revoked key, the client's retries spent) ends the import.
 */
async function sendBatch(client: TouchpointClient, entries: Entry[], attempts: number): Promise<Map<Entry, BatchResult>> {
  const results = new Map<Entry, BatchResult>();
  let waiting = entries.filter((entry): entry is Entry & { mapped: { kind: 'mapped'; touchpoint: MappedTouchpoint } } => entry.mapped.kind === 'mapped');
  for (let attempt = 1; waiting.length > 0; attempt += 1) {
    const answers = await postBatch(
      client,
      waiting.map((entry) => entry.mapped.touchpoint),
    );
    const again: typeof waiting = [];
    let retryAfterSeconds = 1;
    waiting.forEach((entry, index) => {
      const answer = answers[index];
      if (!answer) throw new Error(`The batch route answered ${answers.length} results for ${waiting.length} items`);
      if (isProblem(answer) && answer.status === 503 && attempt < attempts) {
        again.push(entry);
        retryAfterSeconds = Math.max(retryAfterSeconds, Number((answer as { retryAfter?: unknown }).retryAfter) || 1);
      } else {
        results.set(entry, answer);
      }
    });
    if (again.length > 0) await sleep(retryAfterSeconds * 1000 * (1 + Math.random() / 4));
    waiting = again;
  }
  return results;
}

async function postBatch(client: TouchpointClient, items: MappedTouchpoint[]): Promise<BatchResult[]> {
  try {
    // Details are built from the user's map, so no type can vouch for them: the API checks each item and refuses it alone.
    const body = { items: items as unknown as components['schemas']['TouchpointInput'][] };
    return (await unwrap(client.POST('/v1/touchpoints/batch', { body }))).results;
  } catch (error) {
    // One row too big for a request is that row's refusal; a batch of several is never cut that big.
    if (error instanceof TouchpointApiError && error.status === 413 && items.length === 1) return [error.problem as Problem];
    throw error;
  }
}

async function removeEmptyFile(path: string): Promise<void> {
  if ((await stat(path)).size === 0) await rm(path);
}

/** The checkpoint of this run, unless its rejects file lost rows since (then the run starts over, which is safe). */
async function usableCheckpoint(options: ImportOptions, run: string) {
  const checkpoint = await readCheckpoint(options.checkpointFile, run);
  if (!checkpoint) return undefined;
  const rejectsBytes = await stat(options.rejectsFile).then(
    (rejects) => rejects.size,
    () => 0,
  );
  return rejectsBytes >= checkpoint.rejectsBytes ? checkpoint : undefined;
}
