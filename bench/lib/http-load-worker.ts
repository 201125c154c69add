/**
 * Runs autocannon in a worker thread, so the load generator does not share an event loop with
 * the in-process API it measures, or in a child process (`runHttpLoadInProcess`), so that it does
 * not share the process either when the API's own CPU time is measured. Requests come from the
 * same operation generator as the raw baseline.
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

export type LoadWorkerMessage = { result: autocannon.Result } | { error: string };

function runLoad(input: LoadWorkerInput, inWorker: boolean, reply: (message: LoadWorkerMessage) => void): void {
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
          return {
            ...request,
            method: spec.method,
            path: spec.path,
            headers: { ...input.headers, ...spec.headers },
            ...(spec.body ? { body: spec.body } : {}),
          };
        },
      },
    ],
  };
  // In a worker thread autocannon hands back its raw histograms; aggregating gives the usual result.
  const aggregate = (autocannon as unknown as { aggregateResult(results: unknown[], options: autocannon.Options): autocannon.Result }).aggregateResult;
  autocannon(options, (error, result) => {
    if (error) reply({ error: String(error) });
    else reply({ result: JSON.parse(JSON.stringify(inWorker ? aggregate([result], options) : result)) });
  });
}

if (parentPort) {
  const port = parentPort;
  runLoad(workerData as LoadWorkerInput, true, (message) => port.postMessage(message));
} else {
  // A child process: the input is the first IPC message (a customer list can outgrow a command line).
  process.once('message', (input) => runLoad(input as LoadWorkerInput, false, (message) => process.send?.(message, () => process.disconnect())));
}
