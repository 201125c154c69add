import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type autocannon from 'autocannon';
import type { LoadWorkerInput, LoadWorkerMessage } from './http-load-worker.ts';

const workerModule = new URL('./http-load-worker.ts', import.meta.url);

function settle(message: LoadWorkerMessage, resolve: (result: autocannon.Result) => void, reject: (error: Error) => void): void {
  if ('result' in message) resolve(message.result);
  else reject(new Error(`autocannon failed: ${message.error}`));
}

/** Runs one autocannon load in a worker thread and resolves with its result. */
export function runHttpLoad(input: LoadWorkerInput): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), {
      workerData: { ...input, module: workerModule.href },
    });
    worker.once('message', (message: LoadWorkerMessage) => {
      settle(message, resolve, reject);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** The same load from a child process: the measuring process's CPU time then holds none of the load generator's. */
export function runHttpLoadInProcess(input: LoadWorkerInput): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const child = fork(workerModule, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (message: LoadWorkerMessage) => settle(message, resolve, reject));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`The load process exited with ${code}`));
    });
    child.send(input);
  });
}
