/**
 * `npm run bench`: DynamoDB Local in memory, a seeded customer base, then every operation of
 * issue 5 measured against the API (in-process local server, autocannon) and against DynamoDB
 * directly (the raw baseline) at the same concurrency; per-Lambda bundle sizes and cold starts; the
 * cost line; and the fault scenarios. Writes bench/results/latest.json and latest.md.
 *
 *   npm run bench                      defaults: 10,000 customers, 200,000 touchpoints, 10 s, 10 connections
 *   npm run bench -- --quick           a smoke run in about two minutes
 *   npm run bench -- --faults          only the fault scenarios
 *   npm run bench -- --no-faults       everything but the fault scenarios
 *   npm run bench -- --only-lambdas    only bundle sizes and cold starts (on a small seeded table)
 *   npm run bench -- --customers 2000 --touchpoints 40000 --duration 5 --connections 20 --seed 7
 */
import './lib/bench-environment.ts';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { allScopes } from '../shared/auth/access.ts';
import { generateApiKey } from '../shared/auth/api-keys.ts';
import { dynamoApiKeyStore } from '../shared/db/api-key-store.ts';
import { createDocumentClient, createDynamoDbClient, documentClient } from '../shared/db/client.ts';
import { ensureBenchTable } from './lib/bench-table.ts';
import { auditClient } from '../shared/db/privacy-store-instances.ts';
import { startDynamoDbLocal } from '../shared/db/dynamodb-local.ts';
import { startLocalApi } from '../dev/local-server.ts';
import { runFaultScenarios } from './faults.ts';
import { lambdaMemoryMb, prices } from './prices.ts';
import { type BenchContext, measureScenario, type ScenarioMeasurement } from './lib/api-bench.ts';
import { meterCalls } from './lib/call-meter.ts';
import { costPerMillion } from './lib/cost.ts';
import { phoneRanges } from './lib/data-set.ts';
import { measureLambdas } from './lib/lambda-bench.ts';
import { step } from './lib/progress.ts';
import { type BenchResults, toMarkdown } from './lib/report.ts';
import { type LoadCustomer, scenarioNames } from './lib/scenarios.ts';
import { seedDataSet } from './lib/seed.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string' },
    touchpoints: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    seed: { type: 'string' },
    quick: { type: 'boolean', default: false },
    faults: { type: 'boolean', default: false },
    'no-faults': { type: 'boolean', default: false },
    'no-lambdas': { type: 'boolean', default: false },
    'only-lambdas': { type: 'boolean', default: false },
    'fault-customers': { type: 'string' },
    'fault-rate': { type: 'string' },
    kills: { type: 'string' },
    'cold-starts': { type: 'string' },
  },
});

const preset = values.quick
  ? { customers: 500, touchpoints: 5_000, duration: 3, connections: 10, faultCustomers: 40, coldStarts: 1, sequential: 40 }
  : { customers: 10_000, touchpoints: 200_000, duration: 10, connections: 10, faultCustomers: 80, coldStarts: 3, sequential: 150 };
const number = (value: string | undefined, fallback: number, name: string) => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return parsed;
};
const settings = {
  customers: number(values.customers, preset.customers, 'customers'),
  touchpoints: number(values.touchpoints, preset.touchpoints, 'touchpoints'),
  seconds: number(values.duration, preset.duration, 'duration'),
  connections: number(values.connections, preset.connections, 'connections'),
  seed: number(values.seed, 42, 'seed'),
  preset: values.quick ? 'quick' : '',
};
const faultCustomers = number(values['fault-customers'], preset.faultCustomers, 'fault-customers');
const faultRate = number(values['fault-rate'], 0.2, 'fault-rate');
const kills = number(values.kills, 2, 'kills');
const coldStarts = number(values['cold-starts'], preset.coldStarts, 'cold-starts');
const onlyLambdas = values['only-lambdas'];
if (onlyLambdas && (values.faults || values['no-lambdas'])) throw new Error('--only-lambdas cannot be combined with --faults or --no-lambdas');
const runPerformance = !values.faults;
const runFaults = !values['no-faults'] && !onlyLambdas;

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
const startedAt = performance.now();
const tableName = process.env.TABLE_NAME as string;
/** The benchmark's client: an API key with every scope, registered in each table it uses. */
const benchApiKey = generateApiKey();

step(`Starting DynamoDB Local (in memory)`);
let dynamoDb = await startDynamoDbLocal();
// A bench stopped with Ctrl-C or kill must not leave its JVM behind: Node exits on these signals without running `finally`.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void dynamoDb.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
process.env.DYNAMODB_ENDPOINT = dynamoDb.endpoint;
let exitCode = 0;
try {
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverageAtStart: loadavg(),
    },
    settings,
    scenarios: [],
    lambdas: [],
    faults: [],
  };

  if (runPerformance) {
    await ensureBenchTable(dynamoDb.endpoint, tableName);
    const rawClient = createDocumentClient({ endpoint: dynamoDb.endpoint, region: 'local' });
    step(`Seeding ${settings.customers.toLocaleString('en-GB')} customers and ${settings.touchpoints.toLocaleString('en-GB')} touchpoints`);
    await dynamoApiKeyStore(rawClient, tableName).create({ key: benchApiKey, name: 'bench', scopes: allScopes, createdBy: 'bench' });
    const seeded = await seedDataSet({ client: rawClient, tableName, customers: settings.customers, touchpoints: settings.touchpoints, seed: settings.seed });
    results.seeding = { seconds: seeded.seconds, items: seeded.items };

    const api = await startLocalApi({ port: 0 });
    const apiClients = [documentClient(), auditClient()];
    const context: BenchContext = {
      api,
      apiClients,
      apiMeter: meterCalls(apiClients),
      rawClient,
      rawMeter: meterCalls(rawClient),
      modelReader: createDynamoDbClient({ endpoint: dynamoDb.endpoint, region: 'local' }),
      tableName,
      // Disjoint halves: the raw baseline's simplified writes never touch a customer the API measures.
      apiCustomers: seeded.customers.filter((customer) => customer.index % 2 === 0) as LoadCustomer[],
      rawCustomers: seeded.customers.filter((customer) => customer.index % 2 === 1) as LoadCustomer[],
      connections: settings.connections,
      seconds: settings.seconds,
      sequentialRequests: preset.sequential,
      seed: settings.seed,
      newPhoneRanges: { api: phoneRanges.apiNewCustomers, raw: phoneRanges.rawNewCustomers },
      headers: { authorization: `Bearer ${benchApiKey}` },
    };
    try {
      for (const scenario of onlyLambdas ? [] : scenarioNames) results.scenarios.push(await measureScenario(context, scenario));
    } finally {
      await api.close();
    }
    results.cost = costLine(results.scenarios);

    if (!values['no-lambdas']) {
      step('Lambdas: bundle sizes and cold starts');
      results.lambdas = await measureLambdas({
        dynamoDbEndpoint: dynamoDb.endpoint,
        tableName,
        customer: context.apiCustomers[0] as LoadCustomer,
        apiKey: benchApiKey,
        repeats: coldStarts,
      });
    }
  }

  if (runPerformance) writeResults(results);

  if (runFaults) {
    if (runPerformance) {
      // DynamoDB Local runs every request through one SQLite thread, and the seeded table makes each
      // one slower: the fault scenarios get a fresh, empty DynamoDB Local of their own.
      step('Restarting DynamoDB Local (empty) for the fault scenarios');
      await dynamoDb.stop();
      dynamoDb = await startDynamoDbLocal();
    }
    results.faults = await runFaultScenarios({
      dynamoDbEndpoint: dynamoDb.endpoint,
      customers: faultCustomers,
      followUps: 3,
      concurrency: settings.connections,
      seed: settings.seed,
      faultRate,
      kills,
      apiKey: benchApiKey,
    });
    if (results.faults.some((fault) => !fault.integrity.ok)) exitCode = 1;
  }

  process.stdout.write(`\n${writeResults(results)}`);
  step(`Done in ${((performance.now() - startedAt) / 1000 / 60).toFixed(1)} min: bench/results/latest.md and latest.json`);
} catch (error) {
  exitCode = 1;
  console.error(error);
} finally {
  await dynamoDb.stop();
}
process.exit(exitCode);

/** Writes latest.json and latest.md (also after the performance part, so a failed fault run loses nothing). */
function writeResults(results: BenchResults): string {
  const markdown = toMarkdown(results);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.md'), markdown);
  return markdown;
}

function costLine(scenarios: ScenarioMeasurement[]): BenchResults['cost'] {
  const mixed = scenarios.find((scenario) => scenario.scenario === 'mixed');
  const lookup = scenarios.find((scenario) => scenario.scenario === 'lookup-phone');
  if (!mixed || !lookup) return undefined;
  const inputs = (scenario: ScenarioMeasurement) => ({
    readUnitsPerRequest: scenario.api.calls.readUnitsPerRequest,
    // DynamoDB Local under-reports transactions: the cost uses the units AWS would bill (the cost probe's model).
    writeUnitsPerRequest: scenario.costProbe.api.billed,
    billedMsPerRequest: scenario.sequential.meanBilledMs,
  });
  return {
    assumptions:
      `Write units per request as AWS would bill them (the cost probe's model of the Developer Guide's rules, not DynamoDB Local's report); ` +
      `read units as DynamoDB Local reported them; Lambda duration is the mean server time of the same operation sent one at a time against ` +
      `DynamoDB Local (similar to DynamoDB's own single-digit-millisecond latency; on AWS add a few ms of Lambda and API Gateway overhead), ` +
      `at ${lambdaMemoryMb} MB. Not included: the stream publisher Lambda and EventBridge events, CloudWatch Logs, X-Ray, storage, data transfer, free tiers.`,
    ingest: costPerMillion(inputs(mixed)),
    lookup: costPerMillion(inputs(lookup)),
    prices,
    lambdaMemoryMb,
  };
}
