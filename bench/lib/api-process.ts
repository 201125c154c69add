/**
 * The local API as its own process (`node --import tsx dev/start.ts`) against a DynamoDB that
 * keeps running: the fault harness kills it (SIGKILL, no goodbye) and starts it again on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ApiProcessOptions {
  dynamoDbEndpoint: string;
  tableName: string;
  port: number;
  /** Extra environment, e.g. TOUCHPOINT_FAULT_RATE. */
  environment?: Record<string, string>;
}

export interface ApiProcess {
  url: string;
  /** Starts the server (again) and resolves once it listens. */
  start(): Promise<void>;
  /** SIGKILL: in-flight requests are cut wherever they are. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** What the server printed, for a failure message. */
  output(): string;
}

export function apiProcess(options: ApiProcessOptions): ApiProcess {
  let child: ChildProcess | undefined;
  let output = '';

  const exited = (process: ChildProcess) =>
    process.exitCode !== null || process.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => process.once('exit', () => resolve()));

  return {
    url: `http://127.0.0.1:${options.port}`,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error('The API process is already running');
      const started = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'dev', 'start.ts')], {
        cwd: projectRoot,
        env: {
          ...process.env,
          DYNAMODB_ENDPOINT: options.dynamoDbEndpoint,
          TABLE_NAME: options.tableName,
          PORT: String(options.port),
          HOST: '127.0.0.1',
          AWS_REGION: 'local',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
          POWERTOOLS_TRACE_ENABLED: 'false',
          POWERTOOLS_METRICS_DISABLED: 'true',
          // The SDK's Node 20 support notice is noise in a child's output.
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...options.environment,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      let startedListening = () => {};
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`The API did not start within 60 s: ${output.slice(-2000)}`)), 60_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Touchpoint API listening')) {
            clearTimeout(timer);
            started.stdout?.off('data', onData);
            started.stdout?.resume();
            resolve();
          }
        };
        started.stdout?.on('data', onData);
        started.stderr?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        const onEarlyExit = (code: number | null, signal: string | null) => {
          clearTimeout(timer);
          reject(new Error(`The API exited (${code ?? signal}) before listening: ${output.slice(-2000)}`));
        };
        started.once('exit', onEarlyExit);
        startedListening = () => started.off('exit', onEarlyExit);
      });
      startedListening();
      // Output after start-up is kept too (a late crash explains itself).
      started.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
    },
    async kill() {
      if (!child) return;
      const killed = child;
      killed.kill('SIGKILL');
      await exited(killed);
    },
    async stop() {
      if (!child) return;
      const stopping = child;
      stopping.kill('SIGTERM');
      const forceKill = setTimeout(() => stopping.kill('SIGKILL'), 5_000);
      await exited(stopping);
      clearTimeout(forceKill);
    },
    output: () => output,
  };
}
