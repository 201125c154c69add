import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';

const readCommands = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);

export interface CallSummary {
  /** DynamoDB calls per request, failed ones included (a cancelled transaction is a round trip too). */
  callsPerRequest: number;
  failedCallsPerRequest: number;
  /** Calls per request by command, e.g. `{ BatchGetItem: 1, TransactWriteItems: 1.02 }`. */
  byCommand: Record<string, number>;
  /** Consumed capacity per request, as DynamoDB reported it for the calls that succeeded. */
  readUnitsPerRequest: number;
  writeUnitsPerRequest: number;
  /** With `modelBilledWrites`: the write units AWS would bill per request (shared/db/billed-write-units.ts). */
  billedWriteUnitsPerRequest?: number;
}

/**
 * Capacity through the project's call recorder (ReturnConsumedCapacity on every call), plus a count
 * of calls that failed, which the recorder does not see. Several clients are metered as one: the
 * API reads through the shared client and writes its read audit through a client of its own, and a
 * lookup's cost is both.
 */
export function meterCalls(clients: DynamoDBDocumentClient | readonly DynamoDBDocumentClient[], options: { modelBilledWrites?: DynamoDBClient } = {}) {
  const metered: readonly DynamoDBDocumentClient[] = 'middlewareStack' in clients ? [clients] : clients;
  const recorders = metered.map((client) => recordDynamoDbCalls(client, { returnConsumedCapacity: true, ...options }));
  const recorded = () => recorders.flatMap((recorder) => recorder.calls);
  const failed: string[] = [];
  const name = `bench-failed-calls-${Math.random().toString(36).slice(2)}`;
  for (const client of metered) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          failed.push(context.commandName ?? 'unknown');
          throw error;
        }
      },
      { step: 'initialize', name },
    );
  }
  return {
    reset() {
      for (const recorder of recorders) recorder.reset();
      failed.length = 0;
    },
    summary(requests: number): CallSummary {
      const per = (value: number) => (requests > 0 ? value / requests : 0);
      const byCommand: Record<string, number> = {};
      for (const command of [...recorded().map((call) => call.command), ...failed]) {
        const short = command.replace(/Command$/, '');
        byCommand[short] = (byCommand[short] ?? 0) + 1;
      }
      let readUnits = 0;
      let writeUnits = 0;
      let billedWriteUnits = 0;
      for (const call of recorded()) {
        if (readCommands.has(call.command)) readUnits += call.capacityUnits;
        else writeUnits += call.capacityUnits;
        billedWriteUnits += call.billed?.writeUnits ?? 0;
      }
      return {
        callsPerRequest: per(recorded().length + failed.length),
        failedCallsPerRequest: per(failed.length),
        byCommand: Object.fromEntries(Object.entries(byCommand).map(([command, count]) => [command, per(count)])),
        readUnitsPerRequest: per(readUnits),
        writeUnitsPerRequest: per(writeUnits),
        ...(options.modelBilledWrites ? { billedWriteUnitsPerRequest: per(billedWriteUnits) } : {}),
      };
    },
    detach() {
      for (const recorder of recorders) recorder.detach();
      for (const client of metered) client.middlewareStack.remove(name);
    },
  };
}
