import type { prices } from '../prices.ts';
import type { FaultScenarioResult } from '../faults.ts';
import type { ScenarioMeasurement, WriteUnits } from './api-bench.ts';
import type { CostPerMillion } from './cost.ts';
import type { LambdaMeasurement } from './lambdas.ts';
import { touchpointsPerRequest } from './scenarios.ts';
import { checkTargets, commandList } from './targets.ts';

export interface BenchResults {
  generatedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string; loadAverageAtStart: number[] };
  settings: { customers: number; touchpoints: number; seconds: number; connections: number; seed: number; preset: string };
  seeding?: { seconds: number; items: number };
  scenarios: ScenarioMeasurement[];
  cost?: { assumptions: string; ingest: CostPerMillion; lookup: CostPerMillion; prices: typeof prices; lambdaMemoryMb: number };
  lambdas: LambdaMeasurement[];
  faults: FaultScenarioResult[];
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
/** AWS-billed write units with DynamoDB Local's report beside them, so readers of older results see the correction. */
const units = (writeUnits: WriteUnits) => `${fixed(writeUnits.billed, 2)} (Local ${fixed(writeUnits.local, 2)})`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const dollars = (value: number) => `$${value.toFixed(2)}`;

export function toMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  const { settings, machine } = results;
  lines.push(`# Touchpoint API benchmark (${results.generatedAt.slice(0, 10)})`, '');
  lines.push(
    `${settings.customers.toLocaleString('en-GB')} customers, ${settings.touchpoints.toLocaleString('en-GB')} touchpoints seeded` +
      (results.seeding ? ` (${results.seeding.items.toLocaleString('en-GB')} items in ${fixed(results.seeding.seconds, 0)} s)` : '') +
      `; ${settings.connections} connections, ${settings.seconds} s per run, seed ${settings.seed}${settings.preset ? `, preset ${settings.preset}` : ''}.`,
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}, load average ${machine.loadAverageAtStart.map((load) => load.toFixed(1)).join(' ')} at start.`,
    'DynamoDB Local (in memory) runs on the same cores as the API and the load generator: compare the API to the raw baseline, not to AWS.',
    '',
  );

  lines.push('## Targets (issue 12)', '', '| Target | Measured | Verdict | Where the distance comes from |', '|---|---|---|---|');
  for (const check of checkTargets(results))
    lines.push(`| ${check.target} | ${check.measured} | ${check.verdict === 'met' ? 'met' : `**${check.verdict}**`} | ${check.distance ?? ''} |`);
  lines.push(
    '',
    "The last column is this run's own figures; why the design stops there, and what reaching each target would cost in guarantees:",
    'docs/performance.md, "Not built yet: the rest of the way to about 2 WCU".',
    '',
  );

  if (results.scenarios.length > 0) {
    lines.push('## API against the raw DynamoDB baseline (same concurrency)', '');
    lines.push(
      '| Operation | API req/s | raw op/s | API / raw | floor op/s | API / floor | API p50 ms | raw p50 ms | API p99 ms | raw p99 ms | DynamoDB calls per request (API / raw) | RCU / req | WCU / req as AWS bills (API / floor) | non-2xx |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|');
    for (const scenario of results.scenarios) {
      const { api, raw, floor } = scenario;
      // Where no floor was measured the raw baseline is the floor already (lookup: GetItem + Query; timeline: one Query).
      const floorThroughput = floor?.throughput ?? raw.throughput;
      const floorWriteUnits = scenario.costProbe.floor ?? scenario.costProbe.raw;
      lines.push(
        `| ${scenario.title} | ${fixed(api.throughput, 0)} | ${fixed(raw.throughput, 0)} | ${fixed(100 * scenario.ratio.throughput, 0)}% | ` +
          `${fixed(floorThroughput, 0)} | ${fixed((100 * api.throughput) / floorThroughput, 0)}% | ` +
          `${fixed(api.latencyMs.p50)} | ${fixed(raw.latencyMs.p50)} | ${fixed(api.latencyMs.p99)} | ${fixed(raw.latencyMs.p99)} | ` +
          `${fixed(api.calls.callsPerRequest, 2)} (${commandList(api.calls.byCommand)}) / ${fixed(raw.calls.callsPerRequest, 2)} | ` +
          `${fixed(api.calls.readUnitsPerRequest, 2)} | ${units(scenario.costProbe.api)} / ${units(floorWriteUnits)} | ${api.non2xx} |`,
      );
    }
    lines.push(
      '',
      'API / raw is throughput as a share of the raw baseline (the limit: the same DynamoDB work with the fewest calls, no HTTP,',
      'validation, recognition or middleware). Read units are what DynamoDB Local reported (ReturnConsumedCapacity). Write units are what',
      "AWS would bill, modelled from the Developer Guide's rules on the items each write touched, read before and after it in a cost probe",
      'of requests sent one at a time (shared/db/billed-write-units.ts): DynamoDB Local under-reports TransactWriteItems, so its own figure',
      '("Local") is shown beside it; see docs/performance.md. The raw baseline writes the same items. Calls include failed ones (a cancelled',
      'transaction retried with the exact card); the model bills failed writes nothing, which AWS does not.',
      'The floor is the least any design must do: an ingest writes one touchpoint item of the same size with one PutItem; a lookup',
      '(GetItem + Query) and a timeline page (one Query) are at their floor in the raw baseline already.',
      '',
      ...hotCustomerLines(results.scenarios),
      ...webBatchLines(results.scenarios),
      '| Operation | server time per request, one at a time (mean / p50 ms) | billed Lambda ms (mean, 1 ms rounding) | raw RCU per op | raw WCU per op as AWS bills |',
      '|---|---:|---:|---:|---:|',
    );
    for (const scenario of results.scenarios) {
      lines.push(
        `| ${scenario.title} | ${fixed(scenario.sequential.meanServerMs)} / ${fixed(scenario.sequential.p50ServerMs)} | ${fixed(scenario.sequential.meanBilledMs)} | ` +
          `${fixed(scenario.raw.calls.readUnitsPerRequest, 2)} | ${units(scenario.costProbe.raw)} |`,
      );
    }
    lines.push('');
  }

  if (results.cost) {
    const { ingest, lookup } = results.cost;
    lines.push('## Cost at AWS list prices', '');
    lines.push(
      `**${dollars(ingest.total)} per million touchpoints ingested** (the mixed traffic) and **${dollars(lookup.total)} per million caller lookups**, ` +
        `${results.cost.prices.region} list prices (bench/prices.ts), Lambda on Arm with ${results.cost.lambdaMemoryMb} MB.`,
      '',
      '| Per million | HTTP API | Lambda requests | Lambda duration | DynamoDB writes | DynamoDB reads | Total |',
      '|---|---:|---:|---:|---:|---:|---:|',
      costRow('touchpoints ingested', ingest),
      costRow('caller lookups', lookup),
      '',
      results.cost.assumptions,
      '',
    );
  }

  if (results.lambdas.length > 0) {
    lines.push('## Lambdas', '');
    lines.push(
      '| Function | bundle, SDK bundled (gzip) | bundle, SDK external | init ms, SDK bundled | init ms, SDK external | first event ms | warm event ms | peak RSS MB | first answer |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const lambda of results.lambdas) {
      lines.push(
        `| ${lambda.functionName} | ${kb(lambda.bundledBytes)} (${kb(lambda.bundledGzipBytes)}) | ${kb(lambda.sdkExternalBytes)} | ` +
          `${fixed(lambda.bundled?.initMs ?? Number.NaN, 0)} | ${fixed(lambda.sdkExternal?.initMs ?? Number.NaN, 0)} | ` +
          `${fixed(lambda.bundled?.firstInvokeMs ?? Number.NaN, 0)} | ${fixed(lambda.bundled?.warmInvokeMs ?? Number.NaN, 0)} | ` +
          `${fixed(lambda.bundled?.maxRssMb ?? Number.NaN, 0)} | ${lambda.bundled?.outcome ?? 'n/a'} |`,
      );
    }
    for (const lambda of results.lambdas) {
      const error = lambda.bundled?.error;
      if (error) lines.push('', `- ${lambda.functionName}: the first event failed: ${errorMessage(error)}`);
    }
    lines.push(
      '',
      "Bundled like CDK's NodejsFunction in infra/ (esbuild, ESM, node22, minified, platform node). Init is the import of the bundle in a",
      "fresh Node process (Lambda's Init Duration less the runtime's own start); first and warm event are the handler's first and second",
      "call against DynamoDB Local; peak RSS is the process's maxRSS after both. Medians of several cold starts.",
      '',
    );
  }

  if (results.faults.length > 0) {
    lines.push('## Faults', '');
    lines.push(
      '| Scenario | requests | acknowledged | retried | attempts answered 503 | connections failed | replayed after a lost answer | stored touchpoints | invariant violations | unfinished merges | result |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const fault of results.faults) {
      const report = fault.integrity;
      const violations = Object.values(report.violations).reduce((sum, count) => sum + count, 0);
      const verdict = report.ok ? 'pass' : '**FAIL**';
      lines.push(
        `| ${fault.name}: ${fault.description} | ${report.requests} | ${report.acknowledged} | ${report.retried} | ${report.attemptStatuses['503'] ?? 0} | ` +
          `${report.attemptStatuses['0'] ?? 0} | ${report.replayedAfterLostAnswer} | ${report.stored.touchpoints} | ${violations} | ` +
          `${report.unfinishedMerges.merges} | ${verdict} |`,
      );
    }
    lines.push('');
    for (const fault of results.faults) {
      const broken = Object.entries(fault.integrity.violations).filter(([, count]) => count > 0);
      if (broken.length === 0 && fault.integrity.unfinishedMerges.merges === 0) continue;
      lines.push(`- ${fault.name}: ${broken.map(([kind, count]) => `${kind} ×${count}`).join('; ') || 'no violations'}.`);
      const merges = fault.integrity.unfinishedMerges;
      if (merges.merges > 0) {
        lines.push(
          `  ${merges.merges} automatic merge(s) left in progress (${merges.touchpointsLeftOnSource} touchpoints still on the merged-away profile, ` +
            `${merges.cardsAwaitingRecompute} survivor card(s) not yet recomputed): finished by the scheduled merge repair once a minute old, or by posting the merge again.`,
        );
      }
      for (const example of fault.integrity.examples.slice(0, 3)) lines.push(`  - e.g. ${example}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** DynamoDB's documented limit for one partition; every visit to one customer writes that customer's partition. */
const partitionWriteUnitsPerSecond = 1000;

function hotCustomerLines(scenarios: ScenarioMeasurement[]): string[] {
  const hot = scenarios.find((scenario) => scenario.scenario === 'ingest-hot');
  if (!hot) return [];
  const ceiling = (writeUnits: number) => (writeUnits > 0 ? partitionWriteUnitsPerSecond / writeUnits : Number.NaN);
  const visitUnits = hot.costProbe.api.billed;
  const statuses = Object.entries(hot.api.statusCodes)
    .map(([code, count]) => `${code} ×${count}`)
    .join(', ');
  return [
    `**Hot customer.** One customer took ${fixed(hot.api.throughput, 0)} web visits/s here (${statuses}), at ${fixed(visitUnits, 2)} WCU each as AWS bills them. ` +
      `DynamoDB caps one partition at ${partitionWriteUnitsPerSecond.toLocaleString('en-GB')} WCU/s, so in AWS one customer can take at most about ` +
      `${fixed(ceiling(visitUnits), 0)} visits/s with this design (a bound: part of each visit's units land on other partitions), ` +
      `against ${fixed(ceiling(hot.costProbe.floor?.billed ?? 0), 0)} visits/s at the floor. DynamoDB Local has no partition limit: this row shows the contention, not the throttling.`,
    '',
  ];
}

function webBatchLines(scenarios: ScenarioMeasurement[]): string[] {
  const batch = scenarios.find((scenario) => scenario.scenario === 'ingest-web-batch');
  const visits = touchpointsPerRequest['ingest-web-batch'] ?? 1;
  if (!batch) return [];
  const single = scenarios.find((scenario) => scenario.scenario === 'ingest-hot');
  return [
    `**Web snippet batches.** A batch of ${visits} visits of a known visitor took ${fixed(batch.api.calls.callsPerRequest, 2)} DynamoDB calls ` +
      `and ${fixed(batch.costProbe.api.billed, 2)} WCU as AWS bills them: **${fixed(batch.costProbe.api.billed / visits, 2)} WCU per visit** ` +
      `(one card update per batch, each visit's touchpoint and locator)` +
      (single ? `, where a visit posted alone costs ${fixed(single.costProbe.api.billed, 2)} (the hot-customer row)` : '') +
      `; the raw baseline records them one by one at ${fixed(batch.costProbe.raw.billed / visits, 2)} per visit, the floor is ${fixed((batch.costProbe.floor?.billed ?? 0) / visits, 2)}.`,
    '',
  ];
}

/** The message of a Powertools error log line. */
function errorMessage(logLine: string): string {
  try {
    const parsed = JSON.parse(logLine) as { message?: string; error?: { message?: string } };
    return [parsed.message, parsed.error?.message].filter(Boolean).join(': ');
  } catch {
    return logLine.slice(0, 200);
  }
}

function costRow(label: string, cost: CostPerMillion): string {
  return `| ${label} | ${dollars(cost.httpApi)} | ${dollars(cost.lambdaRequests)} | ${dollars(cost.lambdaDuration)} | ${dollars(cost.dynamoDbWrites)} | ${dollars(cost.dynamoDbReads)} | **${dollars(cost.total)}** |`;
}
