/**
 * The fault harness (issue 5): ingests under injected DynamoDB faults and through a process kill,
 * with clients that retry with the same Idempotency-Key; afterwards the checker proves every
 * acknowledged touchpoint is stored exactly once, nothing is half-written, and no request got a 500.
 *
 * Each scenario runs the API as its own process (dev/start.ts) on a fresh table of a shared
 * DynamoDB Local: faults are switched on through TOUCHPOINT_FAULT_RATE exactly as a developer
 * would, and the process can be killed while DynamoDB keeps its data.
 *
 * Run alone: `npm run bench -- --faults` (or as part of `npm run bench`).
 */
import { allScopes } from '../shared/auth/access.ts';
import { dynamoApiKeyStore } from '../shared/db/api-key-store.ts';
import { createDocumentClient } from '../shared/db/client.ts';
import { ensureBenchTable } from './lib/bench-table.ts';
import { findFreePort } from '../shared/db/dynamodb-local.ts';
import { type FaultKind, seededRandom } from '../shared/db/fault-injection.ts';
import { apiProcess } from './lib/api-process.ts';
import { phoneRanges } from './lib/data-set.ts';
import { planFaultRequests } from './lib/fault-plan.ts';
import { checkIntegrity, type IntegrityReport } from './lib/integrity.ts';
import { progress, step } from './lib/progress.ts';
import { defaultRetryPolicy, httpTransport, type RequestOutcome, runRetryingClients } from './lib/retrying-client.ts';

export interface FaultScenarioSettings {
  customers: number;
  followUps: number;
  concurrency: number;
  seed: number;
}

export interface FaultScenarioResult {
  name: string;
  description: string;
  settings: Record<string, unknown>;
  seconds: number;
  integrity: IntegrityReport;
}

export interface FaultRunOptions extends FaultScenarioSettings {
  dynamoDbEndpoint: string;
  faultRate: number;
  kills: number;
  /** The clients' API key (every scope); registered in each scenario's table. */
  apiKey: string;
}

export async function runFaultScenarios(options: FaultRunOptions): Promise<FaultScenarioResult[]> {
  const results: FaultScenarioResult[] = [];
  results.push(
    await injectedFaults(options, {
      name: 'injected-faults',
      kinds: undefined,
      description: `${Math.round(options.faultRate * 100)}% of DynamoDB calls fail (throttling, timeouts, internal errors, and writes whose answer is lost)`,
      tag: 'inj',
    }),
  );
  results.push(await processKill(options));
  results.push(
    await injectedFaults(options, {
      name: 'throttled-transactions',
      kinds: ['transaction-throttle'],
      description: `${Math.round(options.faultRate * 100)}% of TransactWriteItems cancelled with reason ThrottlingError (how DynamoDB reports a throttled transaction)`,
      tag: 'ttx',
    }),
  );
  return results;
}

async function injectedFaults(
  options: FaultRunOptions,
  scenario: { name: string; kinds: FaultKind[] | undefined; description: string; tag: string },
): Promise<FaultScenarioResult> {
  step(`Faults: ${scenario.description}`);
  const tableName = `bench-${scenario.name}-${Date.now()}`;
  await prepareTable(options, tableName);
  const api = apiProcess({
    dynamoDbEndpoint: options.dynamoDbEndpoint,
    tableName,
    port: await findFreePort(),
    environment: {
      TOUCHPOINT_FAULT_RATE: String(options.faultRate),
      TOUCHPOINT_FAULT_SEED: String(options.seed),
      ...(scenario.kinds ? { TOUCHPOINT_FAULT_KINDS: scenario.kinds.join(',') } : {}),
    },
  });
  await api.start();
  const requests = planFaultRequests({
    customers: options.customers,
    followUps: options.followUps,
    raceShare: 0.2,
    seed: options.seed,
    phoneRange: phoneRanges.faults,
    tag: scenario.tag,
  });
  const startedAt = performance.now();
  let outcomes: RequestOutcome[];
  try {
    const bar = progress('acknowledged', requests.length);
    outcomes = await runRetryingClients(requests, {
      concurrency: options.concurrency,
      policy: { ...defaultRetryPolicy, random: seededRandom(options.seed + 1) },
      transport: httpTransport(() => api.url, { authorization: `Bearer ${options.apiKey}` }),
      onOutcome: (_outcome, done) => bar.update(done),
    });
    bar.done();
  } finally {
    await api.stop();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const integrity = await checkIntegrity(cleanClient(options.dynamoDbEndpoint), tableName, outcomes);
  return {
    name: scenario.name,
    description: scenario.description,
    settings: { requests: requests.length, concurrency: options.concurrency, faultRate: options.faultRate, kinds: scenario.kinds ?? 'default' },
    seconds,
    integrity,
  };
}

async function processKill(options: FaultRunOptions): Promise<FaultScenarioResult> {
  const description = `the API process is killed (SIGKILL) ${options.kills} time(s) under load and restarted; DynamoDB Local keeps running`;
  step(`Faults: ${description}`);
  const tableName = `bench-process-kill-${Date.now()}`;
  await prepareTable(options, tableName);
  const api = apiProcess({ dynamoDbEndpoint: options.dynamoDbEndpoint, tableName, port: await findFreePort() });
  await api.start();
  const requests = planFaultRequests({
    customers: options.customers,
    followUps: options.followUps,
    raceShare: 0.2,
    seed: options.seed + 7,
    phoneRange: phoneRanges.faults,
    tag: 'kill',
  });
  const startedAt = performance.now();
  // Kill points spread over the run: after 25 %, 50 %, ... of the requests were acknowledged.
  const killAt = Array.from({ length: options.kills }, (_, index) => Math.floor(((index + 1) * requests.length) / (options.kills + 2)));
  let killing: Promise<void> = Promise.resolve();
  let kills = 0;
  let outcomes: RequestOutcome[];
  try {
    const bar = progress('acknowledged', requests.length);
    outcomes = await runRetryingClients(requests, {
      concurrency: options.concurrency,
      policy: { ...defaultRetryPolicy, random: seededRandom(options.seed + 2) },
      transport: httpTransport(() => api.url, { authorization: `Bearer ${options.apiKey}` }),
      onOutcome: (_outcome, done) => {
        bar.update(done, kills > 0 ? `(${kills} kill${kills > 1 ? 's' : ''})` : '');
        if (kills < killAt.length && done >= (killAt[kills] as number)) {
          kills += 1;
          // Clients keep retrying against the dead port (refused connections) until it is back.
          killing = killing.then(async () => {
            await api.kill();
            await new Promise((resolve) => setTimeout(resolve, 300));
            await api.start();
          });
        }
      },
    });
    await killing;
    bar.done(`${kills} kill(s)`);
  } finally {
    await api.stop();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const integrity = await checkIntegrity(cleanClient(options.dynamoDbEndpoint), tableName, outcomes);
  return {
    name: 'process-kill',
    description,
    settings: { requests: requests.length, concurrency: options.concurrency, kills },
    seconds,
    integrity,
  };
}

/** The table and the clients' key exist before the API starts (its start-up would create the table too). */
async function prepareTable(options: FaultRunOptions, tableName: string): Promise<void> {
  await ensureBenchTable(options.dynamoDbEndpoint, tableName);
  await dynamoApiKeyStore(cleanClient(options.dynamoDbEndpoint), tableName).create({
    key: options.apiKey,
    name: 'fault-clients',
    scopes: allScopes,
    createdBy: 'bench',
  });
}

/** The checker's own client: no fault injection, whatever the environment says. */
function cleanClient(endpoint: string) {
  return createDocumentClient({ endpoint, region: 'local' });
}
