import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface FailedCallProbe {
  /** `Command: ErrorName` for every DynamoDB call that failed since attached. */
  readonly failures: string[];
  detach(): void;
}

/**
 * Notes every DynamoDB call that fails (a cancelled transaction, a throttle). The project's call
 * recorder counts the calls that succeed; a round-trip budget must also see that none failed and
 * was silently retried.
 */
export function probeFailedCalls(client: DynamoDBDocumentClient): FailedCallProbe {
  const failures: string[] = [];
  const name = `failed-call-probe-${Math.random().toString(36).slice(2)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        failures.push(`${context.commandName ?? 'unknown'}: ${error instanceof Error ? error.name : String(error)}`);
        throw error;
      }
    },
    { step: 'initialize', name },
  );
  return { failures, detach: () => client.middlewareStack.remove(name) };
}
