import { Worker } from 'node:worker_threads';
import type autocannon from 'autocannon';
import type { LoadWorkerInput } from './http-load-worker.ts';

/** Runs one autocannon load in a worker thread and resolves with its result. */
export function runHttpLoad(input: LoadWorkerInput): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), {
      workerData: { ...input, module: new URL('./http-load-worker.ts', import.meta.url).href },
    });
    worker.once('message', (message: { result?: autocannon.Result; error?: string }) => {
      if (message.result) resolve(message.result);
      else reject(new Error(`autocannon failed: ${message.error}`));
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
