import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../shared/db/dynamodb-local.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const startScript = (JSON.parse(readFileSync(resolve(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;

let child: ChildProcess | undefined;
let descendants: number[] = [];

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
  for (const pid of descendants) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  child = undefined;
  descendants = [];
});

describe('npm start', () => {
  it('serves the API with its own DynamoDB Local and stops both cleanly on Ctrl-C', async () => {
    const port = await findFreePort();
    // The start script exactly as package.json says (`node --import tsx scripts/start.ts`), without npm in between.
    const [command, ...args] = startScript.split(/\s+/);
    expect(command).toBe('node');
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.DYNAMODB_ENDPOINT;
    delete env.TABLE_NAME;
    delete env.DYNAMODB_PORT;
    delete env.TOUCHPOINT_DATA_DIR;
    child = spawn(process.execPath, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });

    // Usually 5 s; generous because DynamoDB Local's JVM starts slowly on a busy 2-core machine.
    const listening = await waitForLine(child, /listening on (http:\/\/\S+?)\/v1 \(DynamoDB Local at (http:\/\/[^\s,]+)/, 75_000);
    const [, apiUrl, dynamoDbEndpoint] = listening as unknown as [string, string, string];
    descendants = descendantsOf(child.pid as number);
    const health = await fetch(`${apiUrl}/v1/health`);
    const healthBody = await health.json();
    child.kill('SIGINT');
    const exit = await exitOf(child);

    expect(apiUrl).toBe(`http://localhost:${port}`);
    expect(health.status).toBe(200);
    expect(healthBody).toEqual({ status: 'ok' });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(descendants.length).toBeGreaterThan(0);
    expect(descendants.filter(isRunning)).toEqual([]);
    await expect(fetch(dynamoDbEndpoint, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 90_000);
});
