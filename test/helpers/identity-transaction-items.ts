import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface TransactionItemProbe {
  /** Items written by each TransactWriteItems call since the last reset. */
  readonly itemsPerTransaction: number[];
  reset(): void;
  detach(): void;
}

/**
 * Counts the items of every TransactWriteItems call a client makes. DynamoDB Local reports almost
 * no capacity for transactions, while DynamoDB bills two write units per item (of up to 1 KB):
 * the item count is what a cost estimate for AWS needs.
 */
export function probeTransactionItems(client: DynamoDBDocumentClient): TransactionItemProbe {
  const itemsPerTransaction: number[] = [];
  const name = `transaction-item-probe-${Math.random().toString(36).slice(2)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteItemsCommand') {
        const input = args.input as { TransactItems?: unknown[] };
        itemsPerTransaction.push(input.TransactItems?.length ?? 0);
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return {
    itemsPerTransaction,
    reset: () => {
      itemsPerTransaction.length = 0;
    },
    detach: () => client.middlewareStack.remove(name),
  };
}
