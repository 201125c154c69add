import { describe, expect, it } from 'vitest';
import type { ScenarioMeasurement } from '../../bench/lib/api-bench.ts';
import type { CostPerMillion } from '../../bench/lib/cost.ts';
import type { LambdaMeasurement } from '../../bench/lib/lambdas.ts';
import type { BenchResults } from '../../bench/lib/report.ts';
import { toMarkdown } from '../../bench/lib/report.ts';
import type { ScenarioName } from '../../bench/lib/scenarios.ts';
import { checkTargets } from '../../bench/lib/targets.ts';
import { prices } from '../../bench/prices.ts';

const load = (throughput: number) => ({ requests: 100, errors: 0, seconds: 10, throughput, latencyMs: { p50: 10, p99: 50, mean: 12 } });
const calls = (callsPerRequest: number, writeUnitsPerRequest: number, failedCallsPerRequest = 0) => ({
  callsPerRequest,
  failedCallsPerRequest,
  byCommand: { BatchGetItem: 1, TransactWriteItems: callsPerRequest - 1 },
  readUnitsPerRequest: 1,
  writeUnitsPerRequest,
});

/** `writeUnits`: as AWS would bill them (the cost probe); `localWriteUnits`: as DynamoDB Local reported them, the same unless given. */
function scenario(
  name: ScenarioName,
  figures: { share: number; calls?: number; failed?: number; writeUnits?: number; localWriteUnits?: number },
): ScenarioMeasurement {
  const raw = 100;
  const writeUnits = { billed: figures.writeUnits ?? 0, local: figures.localWriteUnits ?? figures.writeUnits ?? 0 };
  return {
    scenario: name,
    title: name,
    raw: { ...load(raw), calls: calls(2, writeUnits.local) },
    api: {
      ...load(raw * figures.share),
      calls: calls(figures.calls ?? 2, writeUnits.local, figures.failed ?? 0),
      non2xx: 0,
      statusCodes: { '201': 100 },
    },
    sequential: { requests: 10, meanServerMs: 5, meanBilledMs: 6, p50ServerMs: 5 },
    ratio: { throughput: figures.share, p50: 1, p99: 1 },
    costProbe: { requests: 10, api: writeUnits, raw: writeUnits, floor: { billed: 1, local: 1 } },
  };
}

function lambda(functionName: string, kib: number, initMs: { bundled: number; external: number }): LambdaMeasurement {
  const coldStart = (ms: number) => ({ initMs: ms, firstInvokeMs: 5, warmInvokeMs: 1, nodeStartMs: 30, maxRssMb: 50, outcome: '200' });
  return {
    functionName,
    bundledBytes: kib * 2048,
    bundledGzipBytes: kib * 512,
    sdkExternalBytes: kib * 1024,
    bundled: coldStart(initMs.bundled),
    sdkExternal: coldStart(initMs.external),
  };
}

const dollars = (total: number): CostPerMillion => ({
  httpApi: 1,
  lambdaRequests: 0.2,
  lambdaDuration: 0.1,
  dynamoDbWrites: total - 1.3,
  dynamoDbReads: 0,
  total,
});

function results(parts: Partial<BenchResults>): BenchResults {
  return {
    generatedAt: '2026-12-02T07:00:00.000Z',
    machine: { cpus: 2, cpuModel: 'test', memoryGb: 24, node: '20', platform: 'linux', loadAverageAtStart: [0, 0, 0] },
    settings: { customers: 10, touchpoints: 100, seconds: 1, connections: 1, seed: 1, preset: '' },
    scenarios: [],
    lambdas: [],
    faults: [],
    ...parts,
  };
}

const verdictOf = (checks: ReturnType<typeof checkTargets>, fragment: string) => checks.find((check) => check.target.includes(fragment));

describe("the bench's check of issue 12's targets", () => {
  it('calls every target met when the figures are inside them', () => {
    const checks = checkTargets(
      results({
        scenarios: [
          scenario('ingest-known', { share: 0.85, calls: 2, writeUnits: 2 }),
          scenario('ingest-new', { share: 0.9, calls: 2, writeUnits: 4 }),
          scenario('lookup-phone', { share: 0.8 }),
          scenario('timeline-page', { share: 0.95 }),
          scenario('mixed', { share: 0.9, writeUnits: 2.1 }),
        ],
        lambdas: [lambda('check-health', 40, { bundled: 60, external: 50 }), lambda('ingest-touchpoint', 249, { bundled: 140, external: 200 })],
        cost: { assumptions: '', ingest: dollars(2.9), lookup: dollars(1.4), prices, lambdaMemoryMb: 1024 },
      }),
    );

    expect(checks).toHaveLength(10);
    expect(checks.filter((check) => check.verdict !== 'met')).toEqual([]);
  });

  it('names what misses a target and by how much', () => {
    const checks = checkTargets(
      results({
        scenarios: [
          scenario('ingest-known', { share: 0.53, calls: 2.43, failed: 0.14, writeUnits: 17.6 }),
          scenario('ingest-new', { share: 0.9, calls: 2 }),
          scenario('lookup-phone', { share: 0.71 }),
          scenario('timeline-page', { share: 0.32 }),
          scenario('mixed', { share: 0.81, writeUnits: 17.1, localWriteUnits: 11.4 }),
        ],
        lambdas: [
          lambda('check-health', 117, { bundled: 189, external: 97 }),
          lambda('ingest-touchpoint', 323, { bundled: 203, external: 359 }),
          lambda('lookup-customer', 313, { bundled: 140, external: 246 }),
        ],
        cost: { assumptions: '', ingest: dollars(12.31), lookup: dollars(1.74), prices, lambdaMemoryMb: 1024 },
      }),
    );

    expect(verdictOf(checks, 'KiB without the AWS SDK')).toEqual({
      target: 'every function ≤ 250 KiB without the AWS SDK',
      measured: '2 of 3 over, largest 323 KiB (ingest-touchpoint, lookup-customer)',
      verdict: 'not met',
    });
    // The packaging that starts fastest counts: check-health's external bundle and lookup's bundled one are inside.
    expect(verdictOf(checks, 'cold init')).toMatchObject({ measured: '1 of 3 over, slowest 203 ms (ingest-touchpoint)', verdict: 'not met' });
    expect(verdictOf(checks, 'ingest-known: 2 DynamoDB round trips')).toMatchObject({
      measured: '2.43 calls, 0.14 of them failed',
      verdict: 'not met',
      distance:
        '0.43 calls a request above 1 + 1 (BatchGetItem 1.00, TransactWriteItems 1.43): 0.14 cancelled and retried, 0.29 their retries and other extra calls',
    });
    expect(verdictOf(checks, 'ingest-new: 2 DynamoDB round trips')?.verdict).toBe('met');
    expect(verdictOf(checks, 'per million touchpoints')).toMatchObject({
      measured: '$12.31 ($9.31 over)',
      verdict: 'not met',
      distance: 'DynamoDB writes $11.01, reads $0.00; HTTP API and Lambda requests $1.20 whatever the design, Lambda duration $0.10',
    });
    expect(verdictOf(checks, 'per million lookups')).toMatchObject({ measured: '$1.74 ($0.24 over)', verdict: 'not met' });
    expect(verdictOf(checks, 'WCU per touchpoint')).toMatchObject({
      measured: '17.1 WCU as AWS bills them (8.6× the target; DynamoDB Local reported 11.4)',
      verdict: 'not met',
      distance: "the floor, one PutItem of the touchpoint, is 1.0 WCU; the raw baseline's items 17.1",
    });
    expect(verdictOf(checks, 'lookup-phone: API throughput')).toMatchObject({
      measured: '71 %',
      verdict: 'not met',
      distance:
        "2.00 DynamoDB calls a request (BatchGetItem 1.00, TransactWriteItems 1.00) against the raw baseline's 2.00, on the cores DynamoDB Local shares",
    });
    expect(verdictOf(checks, 'ingest-new: 2 DynamoDB round trips')).not.toHaveProperty('distance');
    expect(verdictOf(checks, 'timeline-page: API throughput')).toMatchObject({ measured: '32 %', verdict: 'not met' });
  });

  it('judges write units by what AWS would bill, not by what DynamoDB Local reports', () => {
    // DynamoDB Local reports a transaction of three small items as 2 units; AWS bills 6.
    const checks = checkTargets(
      results({
        scenarios: [scenario('mixed', { share: 0.9, writeUnits: 6, localWriteUnits: 2 })],
        cost: { assumptions: '', ingest: dollars(2), lookup: dollars(1), prices, lambdaMemoryMb: 1024 },
      }),
    );

    expect(verdictOf(checks, 'WCU per touchpoint')?.verdict).toBe('not met');
  });

  it('reports a target the run did not measure as not measured, never as met', () => {
    const checks = checkTargets(results({ scenarios: [scenario('ingest-known', { share: 0.9 })] }));

    expect(checks.filter((check) => check.verdict === 'met').map((check) => check.target)).toEqual([
      'ingest-known: 2 DynamoDB round trips (1 read + 1 write) per request',
      'ingest-known: API throughput ≥ 80 % of the raw baseline',
    ]);
    expect(verdictOf(checks, 'KiB')?.verdict).toBe('not measured');
    expect(verdictOf(checks, 'per million touchpoints')?.verdict).toBe('not measured');
    expect(verdictOf(checks, 'timeline-page')).toMatchObject({ measured: 'scenario not run', verdict: 'not measured' });
  });

  it('heads the results file, misses in bold', () => {
    const markdown = toMarkdown(results({ scenarios: [scenario('timeline-page', { share: 0.32 })] }));

    expect(markdown).toContain('## Targets (issue 12)');
    expect(markdown).toContain('| timeline-page: API throughput ≥ 80 % of the raw baseline | 32 % | **not met** | 2.00 DynamoDB calls a request');
    expect(markdown).toContain('docs/performance.md, "Not built yet: the rest of the way to about 2 WCU"');
    expect(markdown.indexOf('## Targets')).toBeLessThan(markdown.indexOf('## API against the raw DynamoDB baseline'));
  });
});
