/**
 * One benchmark operation, measured three ways at the same client concurrency: the raw baseline
 * (straight DynamoDB), the API over HTTP (autocannon), and the API one request at a time with the
 * server's own handling time (what a Lambda would bill).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalApi } from '../../dev/local-server.ts';
import type { CallSummary, meterCalls } from './call-meter.ts';
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
}

export interface BenchContext {
  api: LocalApi;
  apiMeter: ReturnType<typeof meterCalls>;
  rawClient: DynamoDBDocumentClient;
  rawMeter: ReturnType<typeof meterCalls>;
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

/** One connection, a fixed number of requests, timed inside the server (from request to response end). */
async function measureSequential(context: BenchContext, scenario: Parameters<typeof operations>[0]): Promise<ScenarioMeasurement['sequential']> {
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
