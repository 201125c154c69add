import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../shared/db/dynamodb-local.ts';
import { ensureChromium } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoints: string[];
  }
}

/**
 * One DynamoDB Local per test worker for the whole run; each test file gets its own table (see
 * per-file-setup). DynamoDB Local serialises its work on one database lock, so a single instance
 * kept one core busy while the other idled: one each lets the two workers run side by side. A run
 * of one file (or `--maxWorkers=1`) starts one: a second JVM would only idle and eat memory.
 */
const mostInstances = 2;

export default async function setup(project: TestProject) {
  ensureChromium();
  const instanceCount = Math.max(1, Math.min(mostInstances, project.config.maxWorkers));
  const started = await Promise.allSettled(Array.from({ length: instanceCount }, () => startDynamoDbLocal()));
  const instances = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    // Vitest runs no teardown for a setup that threw: stop the instances that did start, or they outlive the run.
    await Promise.all(instances.map((instance) => instance.stop()));
    throw failure.reason;
  }
  project.provide(
    'dynamoDbEndpoints',
    instances.map((instance) => instance.endpoint),
  );
  return async () => {
    if (process.env.TEST_JVM_CPU) for (const instance of instances) console.log(`DynamoDB Local ${instance.endpoint}: ${jvmCpuSeconds(instance.pid)} s of CPU`);
    await Promise.all(instances.map((instance) => instance.stop()));
  };
}

/**
 * User plus system CPU of a JVM from /proc (Linux), for TEST_JVM_CPU=1: a run's time counts the
 * JVMs as children, this says how much of it was theirs (docs/test-suite.md, Measuring).
 */
function jvmCpuSeconds(pid: number | undefined): string {
  // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks (100 a second).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) / 100).toFixed(1);
}
