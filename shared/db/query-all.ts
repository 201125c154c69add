import { type DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { call } from './store-errors.ts';

/** Every item a query matches, page after page; "could not answer now" becomes the domain's retryable error. */
export function queryAll(client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  return call(async () => {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateQuery({ client }, input)) items.push(...(page.Items ?? []));
    return items;
  });
}
