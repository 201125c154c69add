import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** DynamoDB's limit for one BatchWriteItem. */
const itemsPerBatch = 25;

export interface BatchWriter {
  /** Queues one item; waits when too many batches are in flight. */
  put(item: Record<string, unknown>): Promise<void>;
  /** Writes what is queued and waits for every batch. */
  flush(): Promise<void>;
  readonly written: number;
}

/** Writes items with BatchWriteItem, several batches at once, retrying unprocessed items. */
export function batchWriter(client: DynamoDBDocumentClient, tableName: string, options: { concurrency: number }): BatchWriter {
  let buffer: Record<string, unknown>[] = [];
  const inFlight = new Set<Promise<void>>();
  let written = 0;
  let failure: unknown;

  async function send(items: Record<string, unknown>[]): Promise<void> {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; pending.length > 0; round += 1) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** round)));
      const output = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      const unprocessed = (output.UnprocessedItems?.[tableName] ?? []) as typeof pending;
      written += pending.length - unprocessed.length;
      pending = unprocessed;
    }
  }

  function launch(items: Record<string, unknown>[]): void {
    const batch = send(items)
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(batch));
    inFlight.add(batch);
  }

  return {
    async put(item) {
      if (failure) throw failure;
      buffer.push(item);
      if (buffer.length < itemsPerBatch) return;
      launch(buffer);
      buffer = [];
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    },
    async flush() {
      if (buffer.length > 0) launch(buffer);
      buffer = [];
      await Promise.all(inFlight);
      if (failure) throw failure;
    },
    get written() {
      return written;
    },
  };
}
