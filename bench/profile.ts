/**
 * `npm run bench:profile`: where the API's own CPU time goes. A small seeded table on DynamoDB
 * Local, the local API in this process, and for each operation a load from a child process (so
 * this process's CPU time is the API's alone): one run measured with `process.cpuUsage()` (CPU
 * ms per request, user + system, every thread of the process: the JIT and the garbage collector
 * included), then one run under the inspector's CPU profiler, summarised as self time per package
 * or file and per function. The raw baseline's operation (the same DynamoDB calls straight from
 * the SDK, in this process) is measured the same way: the SDK's share, which the API cannot go
 * below. DynamoDB Local (Java) competes for the same cores, so throughput moves with the
 * machine's load; CPU per request barely does.
 *
 * The profiler samples the main thread's wall clock, so on a loaded machine a call the kernel
 * preempts (a socket write waking DynamoDB Local) collects samples for time spent off the CPU:
 * read the profile for the JavaScript's shares, the CPU figure for the cost.
 *
 *   npm run bench:profile
 *   npm run bench:profile -- --customers 500 --touchpoints 5000 --duration 10 --connections 10 --top 15
 *   npm run bench:profile -- --scenario lookup-phone --scenario timeline-page
 *
 * The profiles are written to bench/results/profile-<scenario>.cpuprofile (open them in Chrome
 * DevTools or speedscope).
 */
import './lib/bench-environment.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { allScopes } from '../shared/auth/access.ts';
import { generateApiKey } from '../shared/auth/api-keys.ts';
import { dynamoApiKeyStore } from '../shared/db/api-key-store.ts';
import { createDocumentClient } from '../shared/db/client.ts';
import { ensureBenchTable } from './lib/bench-table.ts';
import { startDynamoDbLocal } from '../shared/db/dynamodb-local.ts';
import { startLocalApi } from '../dev/local-server.ts';
import { type CpuProfile, placeOf, selfTimes } from './lib/cpu-profile.ts';
import { phoneRanges } from './lib/data-set.ts';
import { runHttpLoadInProcess } from './lib/http-load.ts';
import { step } from './lib/progress.ts';
import { rawOperations, runClosedLoop } from './lib/raw-baseline.ts';
import { type LoadCustomer, operations, type ScenarioInput, type ScenarioName, scenarioNames, scenarioTitles } from './lib/scenarios.ts';
import { seedDataSet } from './lib/seed.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '500' },
    touchpoints: { type: 'string', default: '5000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    top: { type: 'string', default: '15' },
    seed: { type: 'string', default: '42' },
    scenario: { type: 'string', multiple: true },
  },
});
const positive = (name: keyof typeof values) => {
  const parsed = Number(values[name]);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number, got ${values[name]}`);
  return parsed;
};
const settings = {
  customers: positive('customers'),
  touchpoints: positive('touchpoints'),
  seconds: positive('duration'),
  connections: positive('connections'),
  top: positive('top'),
  seed: positive('seed'),
};
const scenarios = (values.scenario ?? ['ingest-known', 'lookup-phone', 'timeline-page']).map((name) => {
  if (!(scenarioNames as readonly string[]).includes(name)) throw new Error(`--scenario must be one of ${scenarioNames.join(', ')}, got ${name}`);
  return name as ScenarioName;
});

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(projectRoot, 'bench', 'results');
const tableName = process.env.TABLE_NAME as string;
const apiKey = generateApiKey();

step('Starting DynamoDB Local (in memory)');
const dynamoDb = await startDynamoDbLocal();
process.env.DYNAMODB_ENDPOINT = dynamoDb.endpoint;
let exitCode = 0;
try {
  await ensureBenchTable(dynamoDb.endpoint, tableName);
  const client = createDocumentClient({ endpoint: dynamoDb.endpoint, region: 'local' });
  await dynamoApiKeyStore(client, tableName).create({ key: apiKey, name: 'bench', scopes: allScopes, createdBy: 'bench' });
  step(`Seeding ${settings.customers} customers and ${settings.touchpoints} touchpoints`);
  const seeded = await seedDataSet({ client, tableName, customers: settings.customers, touchpoints: settings.touchpoints, seed: settings.seed });
  // Disjoint halves, as in the bench: the raw baseline's simplified writes never touch a customer the API reads.
  const apiCustomers = seeded.customers.filter((customer) => customer.index % 2 === 0) as LoadCustomer[];
  const rawCustomers = seeded.customers.filter((customer) => customer.index % 2 === 1) as LoadCustomer[];
  const raw = rawOperations(client, tableName).baseline;
  const api = await startLocalApi({ port: 0 });
  const session = new Session();
  session.connect();
  let run = 0;
  const scenarioInput = (scenario: ScenarioName, customers: LoadCustomer[], newPhoneRange: string): ScenarioInput => ({
    scenario,
    customers,
    seed: settings.seed + run,
    runTag: `p${run}`,
    newPhoneRange,
    newIndexOffset: 200_000 * run++,
  });
  const load = (scenario: ScenarioName, seconds: number) =>
    runHttpLoadInProcess({
      url: api.url,
      connections: settings.connections,
      duration: seconds,
      headers: { authorization: `Bearer ${apiKey}` },
      scenario: scenarioInput(scenario, apiCustomers, phoneRanges.apiNewCustomers),
    });
  const rawLoad = (scenario: ScenarioName, seconds: number) =>
    runClosedLoop(raw, operations(scenarioInput(scenario, rawCustomers, phoneRanges.rawNewCustomers)), { connections: settings.connections, seconds });
  const cpuMsPerRequest = (used: NodeJS.CpuUsage, requests: number) =>
    `${((used.user + used.system) / 1000 / requests).toFixed(2)} CPU ms per request (user ${(used.user / 1000 / requests).toFixed(2)}, system ${(used.system / 1000 / requests).toFixed(2)})`;
  const report: string[] = [
    `Load average at the start: ${loadavg()
      .map((value) => value.toFixed(1))
      .join(' ')}`,
  ];
  try {
    for (const scenario of scenarios) {
      step(scenarioTitles[scenario]);
      // Warm-up: the handler loads lazily, the JIT settles, the authorizer's answer is cached.
      await rawLoad(scenario, Math.min(3, settings.seconds));
      const rawBefore = process.cpuUsage();
      const rawMeasured = await rawLoad(scenario, settings.seconds);
      const rawUsed = process.cpuUsage(rawBefore);
      if (rawMeasured.errors > 0) throw new Error(`${scenario}: the raw baseline failed ${rawMeasured.errors} times: ${String(rawMeasured.firstError)}`);
      await load(scenario, Math.min(3, settings.seconds));

      const before = process.cpuUsage();
      const measured = await load(scenario, settings.seconds);
      const used = process.cpuUsage(before);
      if (measured.non2xx > 0 || measured.errors > 0) throw new Error(`${scenario}: ${measured.non2xx} non-2xx answers, ${measured.errors} errors`);

      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      const profiled = await load(scenario, settings.seconds);
      const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
      await session.post('Profiler.disable');
      mkdirSync(resultsDir, { recursive: true });
      writeFileSync(join(resultsDir, `profile-${scenario}.cpuprofile`), JSON.stringify(profile));

      const byPlace = selfTimes(profile, (frame) => placeOf(frame, projectRoot)).slice(0, settings.top);
      const byFunction = selfTimes(profile, (frame) => `${frame.functionName || '(anonymous)'} ${placeOf(frame, projectRoot)}:${frame.lineNumber + 1}`).slice(
        0,
        settings.top,
      );
      const percent = (share: number) => `${(100 * share).toFixed(1).padStart(5)} %`;
      report.push(
        '',
        `## ${scenarioTitles[scenario]}`,
        `API: ${measured.requests.total} requests in ${measured.duration} s (${(measured.requests.total / measured.duration).toFixed(0)} req/s), ${cpuMsPerRequest(used, measured.requests.total)}`,
        `Raw baseline: ${rawMeasured.requests} operations (${rawMeasured.throughput.toFixed(0)} op/s), ${cpuMsPerRequest(rawUsed, rawMeasured.requests)}`,
        `Profiled run: ${profiled.requests.total} requests`,
        '',
        'Self time by package or file:',
        ...byPlace.map((entry) => `${percent(entry.share)}  ${entry.name}`),
        '',
        'Self time by function:',
        ...byFunction.map((entry) => `${percent(entry.share)}  ${entry.name}`),
      );
    }
  } finally {
    session.disconnect();
    await api.close();
  }
  process.stdout.write(`${report.join('\n')}\n`);
} catch (error) {
  exitCode = 1;
  console.error(error);
} finally {
  await dynamoDb.stop();
}
process.exit(exitCode);
