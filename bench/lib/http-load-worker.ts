/**
 * Runs autocannon in a worker thread, so the load generator does not share an event loop with
 * the in-process API it measures. Requests come from the same operation generator as the raw baseline.
 */
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import { operations, type ScenarioInput, toHttpRequest } from './scenarios.ts';

export interface LoadWorkerInput {
  url: string;
  connections: number;
  /** Seconds; or `amount` requests when given. */
  duration?: number;
  amount?: number;
  scenario: ScenarioInput;
  /** Sent with every request, e.g. the bench client's Authorization header. */
  headers: Record<string, string>;
}

const input = workerData as LoadWorkerInput;
const next = operations(input.scenario);

const options: autocannon.Options = {
  url: input.url,
  connections: input.connections,
  ...(input.amount !== undefined ? { amount: input.amount } : { duration: input.duration ?? 10 }),
  timeout: 30,
  requests: [
    {
      setupRequest: (request) => {
        const spec = toHttpRequest(next());
        return { ...request, method: spec.method, path: spec.path, headers: { ...input.headers, ...spec.headers }, ...(spec.body ? { body: spec.body } : {}) };
      },
    },
  ],
};

// In a worker thread autocannon hands back its raw histograms; aggregating gives the usual result.
const aggregate = (autocannon as unknown as { aggregateResult(results: unknown[], options: autocannon.Options): autocannon.Result }).aggregateResult;
autocannon(options, (error, result) => {
  if (error) parentPort?.postMessage({ error: String(error) });
  else parentPort?.postMessage({ result: JSON.parse(JSON.stringify(aggregate([result], options))) });
});
