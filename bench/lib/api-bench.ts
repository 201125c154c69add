/**
 * One benchmark operation, measured three ways at the same client concurrency: the raw baseline
 * (straight DynamoDB), the API over HTTP (autocannon), and the API one request at a time with the
 * server's own handling time (what a Lambda would bill); then a cost probe, also one at a time,
 * for the write units AWS would bill the API, the raw baseline and the floor.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalApi } from '../../dev/local-server.ts';
import { type CallSummary, meterCalls } from './call-meter.ts';
import { runHttpLoad } from './http-load.ts';
import { step, ticker } from './progress.ts';
import { type LoadStats, rawOperations, runClosedLoop } from './raw-baseline.ts';
import { ingestScenarios, type LoadCustomer, operations, type ScenarioName, scenarioTitles } from './scenarios.ts';

export interface ScenarioMeasurement {
  scenario: ScenarioName;
  title: string;
  raw: LoadStats & { calls: CallSummary };
  /** The least any design must do for the same operation; only measured where it is below the raw baseline (ingest). */
  floor?: LoadStats & { calls: CallSummary };
  api: LoadStats & { calls: CallSummary; non2xx: number; statusCodes: Record<string, number> };
  /** The API one request at a time: the server's handling time, as a Lambda would bill it. */
  sequential: { requests: number; meanServerMs: number; meanBilledMs: number; p50ServerMs: number };
  ratio: { throughput: number; p50: number; p99: number; throughputOfFloor?: number };
  /** Write units per request, from the sequential cost probe: what AWS would bill, and what DynamoDB Local reported. */
  costProbe: { requests: number; api: WriteUnits; raw: WriteUnits; floor?: WriteUnits };
}

/** Write units per request: `billed` by the Developer Guide's rules (shared/db/billed-write-units.ts), `local` as DynamoDB Local reported them. */
export interface WriteUnits {
  billed: number;
  local: number;
}

export interface BenchContext {
  api: LocalApi;
  /** The clients the API's calls go through: the shared one, and the read audit's own (a lookup's access-log entry is part of its cost). */
  apiClients: readonly DynamoDBDocumentClient[];
  apiMeter: ReturnType<typeof meterCalls>;
  rawClient: DynamoDBDocumentClient;
  rawMeter: ReturnType<typeof meterCalls>;
  /** The cost probe's own client, to read items before and after each write (its reads are not counted). */
  modelReader: DynamoDBClient;
  tableName: string;
  apiCustomers: LoadCustomer[];
  rawCustomers: LoadCustomer[];
  connections: number;
  seconds: number;
  sequentialRequests: number;
  seed: number;
  newPhoneRanges: { api: string; raw: string };
  /** The bench client's credentials (an API key with every scope). */
  headers: Record<string, string>;
}

/** Each run's new customers get their own block of phone numbers. */
let runCounter = 0;

export async function measureScenario(context: BenchContext, scenario: ScenarioName): Promise<ScenarioMeasurement> {
  step(`${scenarioTitles[scenario]}`);
  const scenarioInput = (customers: LoadCustomer[], range: string, tag: string, seedOffset: number) => ({
    scenario,
    customers,
    seed: context.seed + seedOffset,
    runTag: `${tag}${runCounter}`,
    newPhoneRange: range,
    newIndexOffset: 200_000 * runCounter++,
  });
  const { baseline: execute, floor: executeFloor } = rawOperations(context.rawClient, context.tableName);
  const warmUpSeconds = Math.min(2, context.seconds);

  // Warm-up: the handler modules load lazily and both paths' connections and JITs settle.
  await runClosedLoop(execute, operations(scenarioInput(context.rawCustomers, context.newPhoneRanges.raw, 'rw', 1)), {
    connections: context.connections,
    seconds: warmUpSeconds,
  });
  await runHttpLoad({
    url: context.api.url,
    connections: context.connections,
    duration: warmUpSeconds,
    headers: context.headers,
    scenario: scenarioInput(context.apiCustomers, context.newPhoneRanges.api, 'aw', 2),
  });

  context.rawMeter.reset();
  let stopTicker = ticker('raw baseline', context.seconds);
  const raw = await runClosedLoop(execute, operations(scenarioInput(context.rawCustomers, context.newPhoneRanges.raw, 'r', 3)), {
    connections: context.connections,
    seconds: context.seconds,
  });
  stopTicker();
  if (raw.errors > 0) throw new Error(`Raw baseline for ${scenario} failed ${raw.errors} times: ${String(raw.firstError)}`);
  const rawCalls = context.rawMeter.summary(raw.requests);

  let floor: ScenarioMeasurement['floor'];
  if (ingestScenarios.has(scenario)) {
    context.rawMeter.reset();
    stopTicker = ticker('floor', context.seconds);
    const floorStats = await runClosedLoop(executeFloor, operations(scenarioInput(context.rawCustomers, context.newPhoneRanges.raw, 'f', 6)), {
      connections: context.connections,
      seconds: context.seconds,
    });
    stopTicker();
    if (floorStats.errors > 0) throw new Error(`Floor for ${scenario} failed ${floorStats.errors} times: ${String(floorStats.firstError)}`);
    floor = { ...floorStats, calls: context.rawMeter.summary(floorStats.requests) };
  }

  context.apiMeter.reset();
  stopTicker = ticker('API', context.seconds);
  const result = await runHttpLoad({
    url: context.api.url,
    connections: context.connections,
    duration: context.seconds,
    headers: context.headers,
    scenario: scenarioInput(context.apiCustomers, context.newPhoneRanges.api, 'a', 4),
  });
  stopTicker();
  const apiCalls = context.apiMeter.summary(result.requests.total);
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]));

  const sequential = await measureSequential(context, scenarioInput(context.apiCustomers, context.newPhoneRanges.api, 's', 5));
  const costProbe = await probeCost(context, {
    api: scenarioInput(context.apiCustomers, context.newPhoneRanges.api, 'ca', 7),
    raw: scenarioInput(context.rawCustomers, context.newPhoneRanges.raw, 'cr', 8),
    floor: ingestScenarios.has(scenario) ? scenarioInput(context.rawCustomers, context.newPhoneRanges.raw, 'cf', 9) : undefined,
  });

  const api = {
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    seconds: result.duration,
    throughput: result.requests.total / result.duration,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
    calls: apiCalls,
    non2xx: result.non2xx,
    statusCodes,
  };
  const measurement: ScenarioMeasurement = {
    scenario,
    title: scenarioTitles[scenario],
    raw: { ...raw, calls: rawCalls },
    ...(floor ? { floor } : {}),
    api,
    sequential,
    costProbe,
    ratio: {
      throughput: api.throughput / raw.throughput,
      p50: api.latencyMs.p50 / raw.latencyMs.p50,
      p99: api.latencyMs.p99 / raw.latencyMs.p99,
      ...(floor ? { throughputOfFloor: api.throughput / floor.throughput } : {}),
    },
  };
  process.stderr.write(
    `  raw ${raw.throughput.toFixed(0)} op/s p50 ${raw.latencyMs.p50.toFixed(1)} ms | API ${api.throughput.toFixed(0)} req/s p50 ${api.latencyMs.p50.toFixed(1)} ms` +
      ` (${(100 * measurement.ratio.throughput).toFixed(0)}% of raw throughput)${api.non2xx ? `, ${api.non2xx} non-2xx!` : ''}\n`,
  );
  return measurement;
}

type ScenarioInput = Parameters<typeof operations>[0];

/**
 * The write units AWS would bill, one request at a time: the model reads every written item before
 * and after each write, which would distort the throughput runs and is only right with no other
 * writer meanwhile. The API's server runs in this process on the shared document client.
 */
async function probeCost(
  context: BenchContext,
  inputs: { api: ScenarioInput; raw: ScenarioInput; floor: ScenarioInput | undefined },
): Promise<ScenarioMeasurement['costProbe']> {
  const requests = context.sequentialRequests;
  const units = (summary: CallSummary): WriteUnits => ({ billed: summary.billedWriteUnitsPerRequest ?? Number.NaN, local: summary.writeUnitsPerRequest });
  const metered = async (clients: DynamoDBDocumentClient | readonly DynamoDBDocumentClient[], run: () => Promise<void>) => {
    const meter = meterCalls(clients, { modelBilledWrites: context.modelReader });
    try {
      await run();
      return units(meter.summary(requests));
    } finally {
      meter.detach();
    }
  };
  const { baseline, floor } = rawOperations(context.rawClient, context.tableName);
  const oneAtATime = async (execute: typeof baseline, input: ScenarioInput) => {
    const next = operations(input);
    for (let index = 0; index < requests; index += 1) await execute(next());
  };
  step('cost probe (one request at a time, AWS-billed write units)');
  const api = await metered(context.apiClients, async () => {
    await runHttpLoad({ url: context.api.url, connections: 1, amount: requests, headers: context.headers, scenario: inputs.api });
  });
  const raw = await metered(context.rawClient, () => oneAtATime(baseline, inputs.raw));
  const floorInput = inputs.floor;
  return {
    requests,
    api,
    raw,
    ...(floorInput ? { floor: await metered(context.rawClient, () => oneAtATime(floor, floorInput)) } : {}),
  };
}

/** One connection, a fixed number of requests, timed inside the server (from request to response end). */
async function measureSequential(context: BenchContext, scenario: ScenarioInput): Promise<ScenarioMeasurement['sequential']> {
  const durations: number[] = [];
  const onRequest = (_request: IncomingMessage, response: ServerResponse) => {
    const startedAt = performance.now();
    response.once('finish', () => durations.push(performance.now() - startedAt));
  };
  context.api.server.on('request', onRequest);
  try {
    await runHttpLoad({ url: context.api.url, connections: 1, amount: context.sequentialRequests, headers: context.headers, scenario });
  } finally {
    context.api.server.off('request', onRequest);
  }
  const sorted = [...durations].sort((a, b) => a - b);
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  return {
    requests: durations.length,
    meanServerMs: mean(durations),
    // Lambda bills each invocation rounded up to the millisecond.
    meanBilledMs: mean(durations.map((duration) => Math.ceil(duration))),
    p50ServerMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
  };
}
