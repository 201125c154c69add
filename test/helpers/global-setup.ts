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
    await Promise.all(instances.map((instance) => instance.stop()));
  };
}
