import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface RecordedCall {
  command: string;
  /** Capacity units DynamoDB reports for the call, when ReturnConsumedCapacity was asked for. */
  capacityUnits: number;
  /** The part of `capacityUnits` spent on secondary indexes (keeping their entries up to date, or reading them). */
  indexCapacityUnits: number;
  failed: boolean;
}

export interface CallRecorder {
  readonly calls: RecordedCall[];
  /** Forget what was recorded so far. */
  reset(): void;
  /** Stop recording and remove the middleware. */
  detach(): void;
}

/**
 * Counts the DynamoDB calls a client makes (and the capacity they consume, if the caller sets
 * `returnConsumedCapacity`), by a middleware on the client's stack: tests prove round-trip
 * budgets with it, the benchmark reports capacity per operation.
 */
export function recordDynamoDbCalls(client: DynamoDBDocumentClient, options: { returnConsumedCapacity?: boolean } = {}): CallRecorder {
  const calls: RecordedCall[] = [];
  const name = `call-recorder-${Math.random().toString(36).slice(2)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      // INDEXES: the same total, broken down per table and index, so a test can see what the index costs.
      if (options.returnConsumedCapacity) input.ReturnConsumedCapacity = 'INDEXES';
      const command = context.commandName ?? 'unknown';
      let output: Awaited<ReturnType<typeof next>>;
      try {
        output = await next(args);
      } catch (error) {
        // A rejected call (a failed condition, a throttle) is a round trip all the same.
        calls.push({ command, capacityUnits: 0, indexCapacityUnits: 0, failed: true });
        throw error;
      }
      const consumed = (output.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
      const entries = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
      calls.push({
        command,
        capacityUnits: entries.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0),
        indexCapacityUnits: entries.reduce((sum, entry) => sum + indexUnitsOf(entry), 0),
        failed: false,
      });
      return output;
    },
    { step: 'initialize', name },
  );
  return {
    calls,
    reset: () => {
      calls.length = 0;
    },
    detach: () => {
      client.middlewareStack.remove(name);
    },
  };
}

function indexUnitsOf(entry: ConsumedCapacity): number {
  const indexes = [...Object.values(entry.GlobalSecondaryIndexes ?? {}), ...Object.values(entry.LocalSecondaryIndexes ?? {})];
  return indexes.reduce((sum, index) => sum + (index.CapacityUnits ?? 0), 0);
}
