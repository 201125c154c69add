import { type FetchResult, unwrap } from './errors.js';

/** What every paged route answers: a page of items and the cursor of the next page (null on the last). */
export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

/**
 * Every item of a paged route, page after page, fetching the next page only when the loop gets
 * there. `fetchPage` is called with undefined first, then with each page's nextCursor; the query
 * it sends must stay the same (a cursor is valid only for the request that issued it). A page
 * that fails throws TouchpointApiError.
 *
 *   for await (const touchpoint of paginate((cursor) =>
 *     client.GET('/v1/customers/{customerId}/timeline', { params: { path: { customerId }, query: { cursor } } }))) { ... }
 */
export async function* paginate<Item>(fetchPage: (cursor: string | undefined) => Promise<FetchResult<Page<Item>>>): AsyncGenerator<Item, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await unwrap(fetchPage(cursor));
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
