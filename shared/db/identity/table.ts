import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { WriteRejectedError } from '../../domain/write-rejection.ts';
import { call } from '../store-errors.ts';

/** The client and table every part of the identity store writes through. */
export interface IdentityTable {
  client: DynamoDBDocumentClient;
  tableName: string;
}

export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** `shared` is a DynamoDB reserved word. */
export const sharedName = { '#shared': 'shared' };

/** One transaction; a cancellation by contention alone (no failed condition) is the domain's retryable rejection. */
export async function transact(table: IdentityTable, items: TransactItem[]): Promise<void> {
  try {
    await call(() => table.client.send(new TransactWriteCommand({ TransactItems: items })));
  } catch (error) {
    if (error instanceof TransactionCanceledException) {
      const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
      if (codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed')) {
        throw new WriteRejectedError('contention', { cause: error });
      }
    }
    throw error;
  }
}
