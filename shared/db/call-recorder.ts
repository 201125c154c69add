import { type AttributeValue, type ConsumedCapacity, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { billedWriteUnits, type WriteKind } from './billed-write-units.ts';
import { tableDefinition } from './table-definition.ts';

export interface RecordedCall {
  command: string;
  /** Capacity units DynamoDB reports for the call, when ReturnConsumedCapacity was asked for. */
  capacityUnits: number;
  /** The part of `capacityUnits` spent on secondary indexes (keeping their entries up to date, or reading them). */
  indexCapacityUnits: number;
  /**
   * With `modelBilledWrites`, the write units AWS would bill for a successful write call
   * (shared/db/billed-write-units.ts), table and index; DynamoDB Local's `capacityUnits` understates
   * transactions. Undefined for reads, failed calls, and without the option.
   */
  billed?: { writeUnits: number; indexWriteUnits: number };
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
export function recordDynamoDbCalls(
  client: DynamoDBDocumentClient,
  options: {
    returnConsumedCapacity?: boolean;
    /**
     * Reads every item a write call touches before and after it, with this client of the
     * recorder's own (its reads are not recorded), to model what AWS bills. It adds two reads per
     * item to every write: for sequential cost probes, never for a throughput measurement, and
     * only correct while no other writer touches the same items meanwhile.
     */
    modelBilledWrites?: DynamoDBClient;
  } = {},
): CallRecorder {
  const calls: RecordedCall[] = [];
  const name = `call-recorder-${Math.random().toString(36).slice(2)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      // INDEXES: the same total, broken down per table and index, so a test can see what the index costs.
      if (options.returnConsumedCapacity) input.ReturnConsumedCapacity = 'INDEXES';
      const command = context.commandName ?? 'unknown';
      const targets = options.modelBilledWrites ? writeTargets(command, input) : [];
      const reader = options.modelBilledWrites;
      const before = reader ? await readAll(reader, targets) : [];
      let output: Awaited<ReturnType<typeof next>>;
      try {
        output = await next(args);
      } catch (error) {
        // Not modelled: AWS bills a failed conditional write too (and a cancelled transaction's
        // prepare phase), so a path with cancelled writes costs more than `billed` says.
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
        ...(reader && targets.length > 0 ? { billed: await billedUnits(reader, command, targets, before) } : {}),
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

interface WriteTarget {
  tableName: string;
  key: Record<string, AttributeValue>;
  kind: WriteKind;
}

/** The middleware may see the document client's plain values or the marshalled ones: take either. */
function keyOf(source: Record<string, unknown>): Record<string, AttributeValue> {
  const key: Record<string, unknown> = {};
  for (const name of [tableDefinition.partitionKey, tableDefinition.sortKey]) if (source[name] !== undefined) key[name] = source[name];
  const marshalled = Object.values(key).every((value) => typeof value === 'object' && value !== null);
  return marshalled ? (key as Record<string, AttributeValue>) : marshall(key);
}

type Request = { TableName: string; Key?: Record<string, unknown>; Item?: Record<string, unknown> };

function target(kind: WriteKind, request: Request): WriteTarget {
  return { tableName: request.TableName, key: keyOf((request.Key ?? request.Item) as Record<string, unknown>), kind };
}

function writeTargets(command: string, input: Record<string, unknown>): WriteTarget[] {
  const single = input as unknown as Request;
  switch (command) {
    case 'PutItemCommand':
      return [target('put', single)];
    case 'UpdateItemCommand':
      return [target('update', single)];
    case 'DeleteItemCommand':
      return [target('delete', single)];
    case 'TransactWriteItemsCommand':
      return (input.TransactItems as Record<string, Request>[]).map((item) => {
        if (item.Put) return target('put', item.Put);
        if (item.Update) return target('update', item.Update);
        if (item.Delete) return target('delete', item.Delete);
        return target('conditionCheck', item.ConditionCheck as Request);
      });
    case 'BatchWriteItemCommand':
      return Object.entries(
        input.RequestItems as Record<string, { PutRequest?: { Item: Record<string, unknown> }; DeleteRequest?: { Key: Record<string, unknown> } }[]>,
      ).flatMap(([tableName, requests]) =>
        requests.map((request) =>
          request.PutRequest
            ? target('put', { TableName: tableName, Item: request.PutRequest.Item })
            : target('delete', { TableName: tableName, Key: request.DeleteRequest?.Key ?? {} }),
        ),
      );
    default:
      return [];
  }
}

function readAll(reader: DynamoDBClient, targets: WriteTarget[]) {
  return Promise.all(
    targets.map(async ({ tableName, key }) => (await reader.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item),
  );
}

async function billedUnits(reader: DynamoDBClient, command: string, targets: WriteTarget[], before: (Record<string, AttributeValue> | undefined)[]) {
  const after = await readAll(reader, targets);
  const units = billedWriteUnits(
    targets.map((write, index) => ({ kind: write.kind, before: before[index], after: after[index] })),
    { transactional: command === 'TransactWriteItemsCommand' },
  );
  return { writeUnits: units.table + units.index, indexWriteUnits: units.index };
}
