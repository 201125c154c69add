import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImportInterruptedError, importFile } from '../../clients/import/src/import.ts';
import { parseMap } from '../../clients/import/src/map.ts';
import { createTouchpointClient } from '../../clients/typescript/src/index.ts';

/**
 * The import's answers to what the batch route can say, scripted at the client's fetch: an item
 * that failed for a moment, and a whole request refused. (The real route is exercised end to end
 * in test/import/import.test.ts; these answers are hard to provoke from a healthy local stack.)
 */
interface Item {
  idempotencyKey: string;
}

const map = parseMap({ channel: 'letter', identifiers: { accountId: 'Account' }, idempotencyKey: { column: 'Id' } });

function csvFile(rows: number): { file: string; checkpointFile: string; rejectsFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'touchpoint-import-unit-'));
  const file = join(dir, 'rows.csv');
  writeFileSync(file, `Id,Account\n${Array.from({ length: rows }, (_, index) => `row-${index + 1},ACC-${index + 1}`).join('\n')}\n`);
  return { file, checkpointFile: `${file}.checkpoint.json`, rejectsFile: `${file}.rejects.jsonl` };
}

function scriptedClient(answer: (items: Item[], call: number) => Response | Promise<Response>) {
  const sent: Item[][] = [];
  const client = createTouchpointClient({
    baseUrl: 'http://touchpoint.test',
    apiKey: 'tpk_unit',
    retry: false,
    fetch: async (request) => {
      const { items } = (await request.json()) as { items: Item[] };
      sent.push(items);
      return answer(items, sent.length);
    },
  });
  return { client, sent };
}

const stored = (index: number) => ({ status: 201, touchpointId: `tp_${index}`, customerId: 'cus_x', customerCreated: false, replayed: false });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('the import against a batch route that fails', () => {
  it('sends an item answered 503 again, alone and with its own key, and counts it once', async () => {
    const paths = csvFile(3);
    const { client, sent } = scriptedClient((items, call) =>
      json(207, {
        results: items.map((item, index) =>
          call === 1 && item.idempotencyKey === 'row-2'
            ? { type: 'urn:touchpoint-api:problem:store-unavailable', title: 'Unavailable', status: 503, detail: 'Try again', retryAfter: 1 }
            : stored(index),
        ),
      }),
    );

    const summary = await importFile({ ...paths, map, client, apiUrl: 'http://touchpoint.test' });

    expect(sent.map((items) => items.map((item) => item.idempotencyKey))).toEqual([['row-1', 'row-2', 'row-3'], ['row-2']]);
    expect(summary.counts).toEqual({ stored: 3, replayed: 0, accepted: 0, refused: 0 });
  });

  it('stops at a refused request, keeping the rows before it and none after it, and resumes there', async () => {
    const paths = csvFile(4);
    const refusing = scriptedClient((items, call) =>
      call === 2
        ? json(403, { type: 'urn:touchpoint-api:problem:forbidden', title: 'Forbidden', status: 403, detail: 'The key is revoked' })
        : json(207, { results: items.map((_, index) => stored(index)) }),
    );

    const failure = await importFile({ ...paths, map, client: refusing.client, apiUrl: 'http://touchpoint.test', batchSize: 1, concurrency: 3 }).catch(
      (error: unknown) => error,
    );
    const checkpoint = JSON.parse(readFileSync(paths.checkpointFile, 'utf8')) as { rows: number };
    const healthy = scriptedClient((items) => json(207, { results: items.map((_, index) => stored(index)) }));
    const resumed = await importFile({ ...paths, map, client: healthy.client, apiUrl: 'http://touchpoint.test', batchSize: 1 });

    expect(failure).toBeInstanceOf(ImportInterruptedError);
    expect((failure as Error).message).toContain('403 Forbidden: The key is revoked (rows 1 to 1 are acknowledged');
    // Row 3 was answered too, but row 2 before it was not: the checkpoint stays at row 1.
    expect(checkpoint.rows).toBe(1);
    expect(healthy.sent.map((items) => items.map((item) => item.idempotencyKey))).toEqual([['row-2'], ['row-3'], ['row-4']]);
    expect(resumed).toMatchObject({ resumedAfter: 1, counts: { stored: 4, refused: 0 } });
  });
});
