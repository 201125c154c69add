import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

/**
 * What `npm start` tells the dev tools about the stack it runs: a small state file, so that
 * `npm run keys` finds the local DynamoDB and table without an endpoint or region copied by hand.
 * TOUCHPOINT_LOCAL_STACK_FILE moves it (tests run stacks side by side).
 */
const localStackSchema = z.object({
  apiUrl: z.string(),
  dynamoDbEndpoint: z.string(),
  tableName: z.string(),
  /** The npm start process: a file left by one that died is ignored. */
  pid: z.number().int(),
});

export type LocalStack = z.infer<typeof localStackSchema>;

function readFile(): LocalStack | undefined {
  try {
    const parsed = localStackSchema.safeParse(JSON.parse(readFileSync(localStackFile(), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function localStackFile(): string {
  return process.env.TOUCHPOINT_LOCAL_STACK_FILE ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '.touchpoint-local.json');
}

export function writeLocalStack(stack: LocalStack): void {
  writeFileSync(localStackFile(), `${JSON.stringify(stack, null, 2)}\n`);
}

/** The running local stack, or undefined when none runs (no file, or its process is gone). */
export function readLocalStack(): LocalStack | undefined {
  const stack = readFile();
  return stack && isAlive(stack.pid) ? stack : undefined;
}

/** Removes the file if it is still this process's (another npm start may have taken it over). */
export function removeLocalStack(pid: number): void {
  if (readFile()?.pid === pid) rmSync(localStackFile(), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
