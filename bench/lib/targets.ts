/**
 * Issue 12's targets, checked against a run's own figures: the bench says for each whether it is
 * met and, where not, how far off it is, so nobody compares a results file with a list by hand.
 * Where a run did not measure what a target needs (`--no-lambdas`, `--quick` without a scenario),
 * the target is reported as not measured rather than met.
 */
import type { ScenarioMeasurement } from './api-bench.ts';
import type { CostPerMillion } from './cost.ts';
import type { LambdaMeasurement } from './lambdas.ts';
import type { ScenarioName } from './scenarios.ts';

/** The parts of a run's results the targets are checked on. */
export interface TargetInputs {
  scenarios: ScenarioMeasurement[];
  lambdas: LambdaMeasurement[];
  cost?: { ingest: CostPerMillion; lookup: CostPerMillion };
}

export interface TargetCheck {
  target: string;
  measured: string;
  verdict: 'met' | 'not met' | 'not measured';
  /** For a target not met: the run's own figures that make up the distance (why the design stops there: docs/performance.md). */
  distance?: string;
}

export const targets = {
  bundleKiB: 250,
  coldInitMs: 150,
  roundTripsPerIngest: 2,
  dollarsPerMillionTouchpoints: 3,
  dollarsPerMillionLookups: 1.5,
  writeUnitsPerTouchpoint: 2,
  shareOfRawThroughput: 0.8,
} as const;

const throughputScenarios: ScenarioName[] = ['ingest-known', 'lookup-phone', 'timeline-page'];
const roundTripScenarios: ScenarioName[] = ['ingest-known', 'ingest-new'];

export function checkTargets(results: TargetInputs): TargetCheck[] {
  return [...bundleChecks(results), ...roundTripChecks(results), ...costChecks(results), ...throughputChecks(results)];
}

function bundleChecks({ lambdas }: TargetInputs): TargetCheck[] {
  const bundleTarget = `every function ≤ ${targets.bundleKiB} KiB without the AWS SDK`;
  const initTarget = `cold init ≤ ${targets.coldInitMs} ms for every function, packaging that starts fastest`;
  if (lambdas.length === 0) {
    return [
      { target: bundleTarget, measured: 'Lambdas not measured in this run', verdict: 'not measured' },
      { target: initTarget, measured: 'Lambdas not measured in this run', verdict: 'not measured' },
    ];
  }
  const sizes = lambdas.map((lambda) => ({ name: lambda.functionName, value: lambda.sdkExternalBytes / 1024 }));
  const fastestInit = lambdas.map((lambda) => ({
    name: lambda.functionName,
    value: Math.min(lambda.bundled?.initMs ?? Number.POSITIVE_INFINITY, lambda.sdkExternal?.initMs ?? Number.POSITIVE_INFINITY),
  }));
  const measuredInit = fastestInit.filter((lambda) => Number.isFinite(lambda.value));
  return [
    everyFunctionWithin(bundleTarget, sizes, targets.bundleKiB, { worst: 'largest', unit: 'KiB' }),
    measuredInit.length === 0
      ? { target: initTarget, measured: 'no cold start measured', verdict: 'not measured' }
      : everyFunctionWithin(initTarget, measuredInit, targets.coldInitMs, { worst: 'slowest', unit: 'ms' }),
  ];
}

function everyFunctionWithin(target: string, figures: { name: string; value: number }[], limit: number, wording: { worst: string; unit: string }): TargetCheck {
  const over = figures.filter((figure) => figure.value > limit);
  const worst = `${wording.worst} ${Math.max(...figures.map((figure) => figure.value)).toFixed(0)} ${wording.unit}`;
  return over.length === 0
    ? { target, measured: worst, verdict: 'met' }
    : { target, measured: `${over.length} of ${figures.length} over, ${worst} (${names(over.map((figure) => figure.name))})`, verdict: 'not met' };
}

function roundTripChecks({ scenarios }: TargetInputs): TargetCheck[] {
  return roundTripScenarios.map((name) => {
    const target = `${name}: ${targets.roundTripsPerIngest} DynamoDB round trips (1 read + 1 write) per request`;
    const scenario = scenarios.find((candidate) => candidate.scenario === name);
    if (!scenario) return { target, measured: 'scenario not run', verdict: 'not measured' };
    const { callsPerRequest: calls, failedCallsPerRequest: failed } = scenario.api.calls;
    // Calls of requests still in flight when a run ends are counted, so an exact design reads a hair above 2.
    const met = calls <= targets.roundTripsPerIngest + 0.02;
    return {
      target,
      measured: `${calls.toFixed(2)} calls, ${failed.toFixed(2)} of them failed`,
      verdict: met ? 'met' : 'not met',
      ...(met
        ? {}
        : {
            distance: `${(calls - targets.roundTripsPerIngest).toFixed(2)} calls a request above 1 + 1 (${commandList(scenario.api.calls.byCommand)}): ${failed.toFixed(2)} cancelled and retried, ${Math.max(0, calls - targets.roundTripsPerIngest - failed).toFixed(2)} their retries and other extra calls`,
          }),
    };
  });
}

function costChecks({ cost, scenarios }: TargetInputs): TargetCheck[] {
  const mixed = scenarios.find((scenario) => scenario.scenario === 'mixed');
  const touchpointTarget = `≤ $${targets.dollarsPerMillionTouchpoints} per million touchpoints (mixed traffic)`;
  const lookupTarget = `≤ $${targets.dollarsPerMillionLookups} per million lookups`;
  const unitsTarget = `about ${targets.writeUnitsPerTouchpoint} WCU per touchpoint (mixed traffic)`;
  if (!cost || !mixed) {
    return [touchpointTarget, lookupTarget, unitsTarget].map((target) => ({ target, measured: 'cost not measured', verdict: 'not measured' as const }));
  }
  const writeUnits = mixed.costProbe.api.billed;
  // "About": a quarter above still counts, as the issue words it.
  const unitsMet = writeUnits <= targets.writeUnitsPerTouchpoint * 1.25;
  const floorUnits = mixed.costProbe.floor?.billed;
  return [
    dollarCheck(touchpointTarget, cost.ingest, targets.dollarsPerMillionTouchpoints),
    dollarCheck(lookupTarget, cost.lookup, targets.dollarsPerMillionLookups),
    {
      target: unitsTarget,
      measured: `${writeUnits.toFixed(1)} WCU as AWS bills them (${(writeUnits / targets.writeUnitsPerTouchpoint).toFixed(1)}× the target; DynamoDB Local reported ${mixed.costProbe.api.local.toFixed(1)})`,
      verdict: unitsMet ? 'met' : 'not met',
      ...(unitsMet || floorUnits === undefined
        ? {}
        : {
            distance: `the floor, one PutItem of the touchpoint, is ${floorUnits.toFixed(1)} WCU; the raw baseline's items ${mixed.costProbe.raw.billed.toFixed(1)}`,
          }),
    },
  ];
}

function dollarCheck(target: string, cost: CostPerMillion, limit: number): TargetCheck {
  const met = cost.total <= limit;
  if (met) return { target, measured: `$${cost.total.toFixed(2)}`, verdict: 'met' };
  const requests = cost.httpApi + cost.lambdaRequests;
  return {
    target,
    measured: `$${cost.total.toFixed(2)} ($${(cost.total - limit).toFixed(2)} over)`,
    verdict: 'not met',
    distance:
      `DynamoDB writes $${cost.dynamoDbWrites.toFixed(2)}, reads $${cost.dynamoDbReads.toFixed(2)}; ` +
      `HTTP API and Lambda requests $${requests.toFixed(2)} whatever the design, Lambda duration $${cost.lambdaDuration.toFixed(2)}`,
  };
}

function throughputChecks({ scenarios }: TargetInputs): TargetCheck[] {
  return throughputScenarios.map((name) => {
    const target = `${name}: API throughput ≥ ${(100 * targets.shareOfRawThroughput).toFixed(0)} % of the raw baseline`;
    const scenario = scenarios.find((candidate) => candidate.scenario === name);
    if (!scenario) return { target, measured: 'scenario not run', verdict: 'not measured' };
    const share = scenario.ratio.throughput;
    const met = share >= targets.shareOfRawThroughput;
    const { api, raw } = scenario;
    return {
      target,
      measured: `${(100 * share).toFixed(0)} %`,
      verdict: met ? 'met' : 'not met',
      ...(met
        ? {}
        : {
            distance: `${api.calls.callsPerRequest.toFixed(2)} DynamoDB calls a request (${commandList(api.calls.byCommand)}) against the raw baseline's ${raw.calls.callsPerRequest.toFixed(2)}, on the cores DynamoDB Local shares`,
          }),
    };
  });
}

export function commandList(byCommand: Record<string, number>): string {
  return Object.entries(byCommand)
    .map(([command, count]) => `${command} ${count.toFixed(2)}`)
    .join(', ');
}

function names(list: string[]): string {
  return list.length <= 4 ? list.join(', ') : `${list.slice(0, 4).join(', ')} and ${list.length - 4} more`;
}
