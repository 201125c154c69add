import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as undoHandler } from '../../functions/undo-merge/handler.ts';
import { type CallRecorder, recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { documentClient } from '../../shared/db/client.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { probeTransactionItems, type TransactionItemProbe } from '../helpers/identity-transaction-items.ts';
import { getCustomer, getTimeline, lookupCustomer, mergeCustomers } from '../helpers/handlers.ts';
import { ingestCall, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * What a merge, its undo and reads of merged customers cost in DynamoDB round trips and capacity
 * units, measured on the handlers' own client (the Lambda path). The read audit writes through a
 * client of its own, in parallel with the read, and is not counted here. Only the lookup budget
 * (a merged customer within 2 round trips) is asserted; the rest is printed as a table to quote.
 */
let recorder: CallRecorder;
let transactions: TransactionItemProbe;
const rows: Array<{ operation: string; roundTrips: number; byCommand: string; capacityUnits: number; transactionItems: number }> = [];

beforeAll(async () => {
  await createTestTable();
});

beforeEach(() => {
  recorder = recordDynamoDbCalls(documentClient(), { returnConsumedCapacity: true });
  transactions = probeTransactionItems(documentClient());
});

afterEach(() => {
  recorder.detach();
  transactions.detach();
});

function startMeasuring(): void {
  recorder.reset();
  transactions.reset();
}

afterAll(() => {
  const width = Math.max(...rows.map((row) => row.operation.length));
  const lines = [
    `${'operation'.padEnd(width)} | round trips | capacity (Local) | transaction items | calls`,
    `${'-'.repeat(width)}-|-------------|-----------------|-------------------|------`,
    ...rows.map(
      (row) =>
        `${row.operation.padEnd(width)} | ${String(row.roundTrips).padStart(11)} | ${row.capacityUnits.toFixed(1).padStart(15)} | ` +
        `${String(row.transactionItems).padStart(17)} | ${row.byCommand}`,
    ),
  ];
  console.log(
    `\n[identity graph cost] DynamoDB calls on the handlers' client (the read audit writes through its own client, not counted).\n` +
      `Capacity as DynamoDB Local reports it (it undercounts transactions; DynamoDB bills 2 WCU per transaction item of up to 1 KB).\n` +
      `${lines.join('\n')}\n`,
  );
});

/** Counts what the recorder saw since the last reset, as one row of the table. */
function measured(operation: string) {
  const calls = recorder.calls;
  const counts = new Map<string, number>();
  for (const call of calls) {
    const name = `${call.command.replace(/Command$/, '')}${call.failed ? ' (rejected)' : ''}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const row = {
    operation,
    roundTrips: calls.length,
    byCommand: [...counts].map(([name, count]) => `${count} ${name}`).join(', '),
    capacityUnits: calls.reduce((sum, call) => sum + call.capacityUnits, 0),
    transactionItems: transactions.itemsPerTransaction.reduce((sum, count) => sum + count, 0),
  };
  rows.push(row);
  return row;
}

const ingest = (identifiers: Record<string, string>, minutesBefore: number) => ingestCall(customerStore(), identifiers, minutesBefore);

/** A customer known by a fresh phone with `count` touchpoints, a minute apart. */
async function customerWithTouchpoints(count: number): Promise<{ customerId: string; phone: string }> {
  const phone = uniquePhone().e164;
  const first = await ingest({ phone }, count + 1);
  for (let index = 1; index < count; index += 1) await ingest({ phone }, count + 1 - index);
  return { customerId: first.customerId, phone };
}

async function newCustomer(): Promise<{ customerId: string; email: string }> {
  const email = uniqueEmail();
  return { customerId: (await ingest({ email }, 1)).customerId, email };
}

function postUndo(mergeId: string) {
  return invoke(
    undoHandler,
    apiEvent({ method: 'POST', routePath: '/v1/merges/{mergeId}/undo', path: `/v1/merges/${mergeId}/undo`, pathParameters: { mergeId }, body: {} }),
  );
}

describe.each([10, 50])('a merge of a source with %i touchpoints', (touchpointCount) => {
  let target: { customerId: string; email: string };
  let source: { customerId: string; phone: string };
  let mergeId: string;

  beforeAll(async () => {
    target = await newCustomer();
    source = await customerWithTouchpoints(touchpointCount);
  }, 120_000);

  it('moves every touchpoint (cost printed)', async () => {
    startMeasuring();

    const response = await mergeCustomers(target.customerId, source.customerId, 'cost measurement');

    measured(`merge, source with ${touchpointCount} touchpoints`);
    expect(response.status).toBe(201);
    expect(response.body.movedTouchpointCount).toBe(touchpointCount);
    mergeId = response.body.mergeId;
  });

  it('looks the merged customer up by its identifier within 2 round trips', async () => {
    startMeasuring();

    const response = await lookupCustomer({ phone: source.phone });

    const row = measured(`lookup by an identifier of the merged-away customer (${touchpointCount})`);
    expect(response.body.customer.customerId).toBe(target.customerId);
    expect(row.roundTrips).toBeLessThanOrEqual(2);
  });

  it('answers the merged-away customer id with the survivor (cost printed)', async () => {
    startMeasuring();

    const response = await getCustomer(source.customerId);

    measured(`GET /v1/customers/{merged-away id} (${touchpointCount})`);
    expect(response.body).toMatchObject({ customer: { customerId: target.customerId }, redirectedFrom: source.customerId });
  });

  it('answers a lookup by the merged-away customer id with the survivor (cost printed)', async () => {
    startMeasuring();

    const response = await lookupCustomer({ customerId: source.customerId });

    measured(`lookup ?customerId={merged-away id} (${touchpointCount})`);
    expect(response.body.redirectedFrom).toBe(source.customerId);
  });

  it("answers the merged-away customer's timeline with the survivor's (cost printed)", async () => {
    startMeasuring();

    const response = await getTimeline(source.customerId, { limit: '10' });

    measured(`GET /v1/customers/{merged-away id}/timeline (${touchpointCount})`);
    expect(response.body.redirectedFrom).toBe(source.customerId);
  });

  it('undoes the merge, moving every touchpoint back (cost printed)', async () => {
    startMeasuring();

    const response = await postUndo(mergeId);

    measured(`undo of that merge (${touchpointCount})`);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('undone');
  });
});

describe('a customer that absorbed five merges', () => {
  let survivor: { customerId: string; email: string };
  const sources: Array<{ customerId: string; phone: string }> = [];
  const chain: string[] = [];

  beforeAll(async () => {
    survivor = await newCustomer();
    for (let index = 0; index < 5; index += 1) {
      const source = await customerWithTouchpoints(1);
      sources.push(source);
      const response = await mergeCustomers(survivor.customerId, source.customerId, 'cost measurement');
      if (response.status !== 201) throw new Error(`Arranging a merge failed with ${response.status}`);
    }
    // A chain of merges: c0 into c1, c1 into c2, c2 into c3 (each survivor merged again later).
    for (let index = 0; index < 4; index += 1) chain.push((await newCustomer()).customerId);
    for (let index = 0; index < 3; index += 1) {
      const response = await mergeCustomers(chain[index + 1] as string, chain[index] as string, 'cost measurement');
      if (response.status !== 201) throw new Error(`Arranging a merge failed with ${response.status}`);
    }
  }, 120_000);

  it('is found by the identifier of the first customer it absorbed within 2 round trips', async () => {
    startMeasuring();

    const response = await lookupCustomer({ phone: sources[0]?.phone as string });

    const row = measured('lookup by an identifier after 5 merges into the survivor');
    expect(response.body.customer.customerId).toBe(survivor.customerId);
    expect(row.roundTrips).toBeLessThanOrEqual(2);
  });

  it('answers the first id of a chain of three merges with the last survivor (cost printed)', async () => {
    startMeasuring();

    const response = await getCustomer(chain[0] as string);

    measured('GET /v1/customers/{id merged 3 times over}');
    expect(response.body).toMatchObject({ customer: { customerId: chain[3] }, redirectedFrom: chain[0] });
  });
});
