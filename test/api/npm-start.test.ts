import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../shared/db/dynamodb-local.ts';
import { contractFetch } from '../helpers/json-client.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const packageScripts = (JSON.parse(readFileSync(resolve(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string; keys: string } }).scripts;
const startScript = packageScripts.start;
const run = promisify(execFile);

/** The environment npm start gets from a developer's shell: no endpoint, table or region, a state file of its own. */
function startEnvironment(port: number, stateFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), TOUCHPOINT_LOCAL_STACK_FILE: stateFile };
  for (const name of ['DYNAMODB_ENDPOINT', 'TABLE_NAME', 'DYNAMODB_PORT', 'TOUCHPOINT_DATA_DIR', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) {
    delete env[name];
  }
  return env;
}

function freshStateFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'touchpoint-stack-')), 'local-stack.json');
}

let child: ChildProcess | undefined;

/** Every process below `pid`, read from /proc (Linux): here, DynamoDB Local's Java process. */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (2nd field) is in parentheses and may hold spaces: read after it.
      const [, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(parent));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift() as number;
    for (const [candidate, parent] of parents) {
      if (parent === current) {
        found.push(candidate);
        queue.push(candidate);
      }
    }
  }
  return found;
}

function isRunning(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function waitForLine(process: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolveLine, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`No line matching ${pattern} within ${timeoutMs} ms. Output:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        process.stdout?.off('data', onData);
        resolveLine(match);
      }
    };
    process.stdout?.on('data', onData);
    process.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    process.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code ?? signal}) before listening. Output:\n${output}`));
    });
  });
}

function exitOf(process: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (process.exitCode !== null || process.signalCode !== null) {
    return Promise.resolve({ code: process.exitCode, signal: process.signalCode });
  }
  return new Promise((resolveExit) => process.once('exit', (code, signal) => resolveExit({ code, signal })));
}

afterEach(() => {
  // Only if the test failed half-way: stop what this test started. The child leads its own
  // process group (spawned detached), so the group takes DynamoDB Local's Java process with it.
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
  child = undefined;
});

describe('npm start on a port already in use', () => {
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    port = await findFreePort();
    holder = createServer();
    await new Promise<void>((listening) => holder.listen(port, '127.0.0.1', listening));
  });

  afterAll(async () => {
    await new Promise<void>((closed) => holder.close(() => closed()));
  });

  it('says so in one line, exits 1 and leaves no DynamoDB Local behind', async () => {
    const dynamoDbPort = await findFreePort();
    const [, ...args] = startScript.split(/\s+/);
    const env = { ...startEnvironment(port, freshStateFile()), DYNAMODB_PORT: String(dynamoDbPort) };
    child = spawn(process.execPath, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });

    const exit = await exitOf(child);

    expect(exit).toEqual({ code: 1, signal: null });
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^Port ${port} is already in use`))]);
    expect(stdout).toBe('');
    await expect(fetch(`http://127.0.0.1:${dynamoDbPort}`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 60_000);
});

// One stack for every test of a running npm start (each start is a JVM's and a tsx's start, about
// 10 s of CPU): the last test stops it with Ctrl-C and checks that nothing is left.
describe('npm start', () => {
  let stack: ChildProcess;
  let port: number;
  let apiUrl: string;
  let dynamoDbEndpoint: string;
  let stackDescendants: number[] = [];
  let output = '';
  const stateFile = freshStateFile();

  beforeAll(async () => {
    port = await findFreePort();
    // The start script exactly as package.json says (`node --import tsx dev/start.ts`), without npm in between.
    const [command, ...args] = startScript.split(/\s+/);
    expect(command).toBe('node');
    stack = spawn(process.execPath, args, { cwd: projectRoot, env: startEnvironment(port, stateFile), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    stack.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    // Usually 5 s; generous because DynamoDB Local's JVM starts slowly on a busy 2-core machine.
    const listening = await waitForLine(stack, /listening on (http:\/\/\S+?)\/v1 \(DynamoDB Local at (http:\/\/[^\s,]+)/, 75_000);
    [, apiUrl, dynamoDbEndpoint] = listening as unknown as [string, string, string];
    stackDescendants = descendantsOf(stack.pid as number);
  }, 90_000);

  afterAll(async () => {
    // Only if a test failed before the last one stopped it.
    if (stack?.pid !== undefined && stack.exitCode === null && stack.signalCode === null) {
      stack.kill('SIGINT');
      await exitOf(stack);
    }
    for (const pid of stackDescendants) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  }, 30_000);

  it('serves the API on PORT with its own DynamoDB Local', async () => {
    const health = await contractFetch(`${apiUrl}/v1/health`);

    expect(apiUrl).toBe(`http://localhost:${port}`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(stackDescendants.length).toBeGreaterThan(0);
    expect((await fetch(dynamoDbEndpoint, { signal: AbortSignal.timeout(5_000) })).status).toBe(400);
  });

  /** The keys CLI exactly as package.json runs it, from a shell that set nothing. */
  async function keysCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const [, ...scriptArgs] = packageScripts.keys.split(/\s+/);
    const env = startEnvironment(0, stateFile);
    try {
      const { stdout, stderr } = await run(process.execPath, [...scriptArgs, ...args], { cwd: projectRoot, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code: number; stdout: string; stderr: string };
      return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
    }
  }

  async function lineFor(pattern: RegExp): Promise<string> {
    for (;;) {
      const line = output.split('\n').find((candidate) => pattern.test(candidate));
      if (line) return line;
      if (stack.exitCode !== null) throw new Error(`npm start exited. Output:\n${output}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  }

  it('logs one line per request: method, route, status, duration, the function that ran and the request id', async () => {
    const health = await contractFetch(`${apiUrl}/v1/health`);
    const unauthenticated = await contractFetch(`${apiUrl}/v1/customers/cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB`);
    const forbidden = await contractFetch(`${apiUrl}/v1/customers/cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB`, {
      headers: { authorization: 'Bearer not-a-key-anybody-issued' },
    });

    expect([health.status, unauthenticated.status, forbidden.status]).toEqual([200, 401, 403]);
    expect(await lineFor(/^GET \/v1\/health /)).toMatch(/^GET \/v1\/health 200 \d+ ms check-health [0-9a-f-]{36}$/);
    expect(await lineFor(/^GET \/v1\/customers\/\{customerId\} 401 /)).toMatch(/ 401 \d+ ms - [0-9a-f-]{36}$/);
    expect(await lineFor(/^GET \/v1\/customers\/\{customerId\} 403 /)).toMatch(/ 403 \d+ ms authorize-request [0-9a-f-]{36}$/);
  });

  it('lets npm run keys create a working key without an endpoint, table or region copied', async () => {
    const created = await keysCli('create', '--name', 'npm-start-test', '--scopes', 'customers:read');
    const key = created.stdout.trim().split('\n').at(-1) as string;
    const read = await contractFetch(`${apiUrl}/v1/customers/cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB`, { headers: { authorization: `Bearer ${key}` } });

    expect(created).toMatchObject({ code: 0, stderr: expect.stringContaining(`Using the stack npm start runs (${apiUrl})`) });
    expect(read.status).toBe(404);
  });

  it('stops both cleanly on Ctrl-C and removes its state file', async () => {
    expect(existsSync(stateFile)).toBe(true);
    stack.kill('SIGINT');
    expect(await exitOf(stack)).toEqual({ code: 0, signal: null });
    expect(existsSync(stateFile)).toBe(false);
    expect(stackDescendants.filter(isRunning)).toEqual([]);
    await expect(fetch(dynamoDbEndpoint, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 30_000);
});
