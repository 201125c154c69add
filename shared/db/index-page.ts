import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetItems } from './batch-get.ts';
import type { Key } from './keys.ts';

type Item = Record<string, unknown>;

/** BatchGetItem's limit of keys per request. */
const keysPerBatch = 100;

/**
 * The items behind index entries, in the index's order. The table's index projects keys only,
 * so a list view queries it for a page of keys and reads the page's items here with one
 * consistent BatchGetItem per hundred keys. An item gone since the index listed it is left out, and
 * so is one that left the listed index partition meanwhile (a customer filed under another tier
 * between the Query and the read belongs to another list: its current item would contradict this one).
 */
export async function itemsOfIndexEntries(client: DynamoDBDocumentClient, tableName: string, listed: Item[]): Promise<Item[]>;
/** With each item, its companion (a card's profile), read in the same BatchGetItem: an item whose companion is gone is left out. */
export async function itemsOfIndexEntries(
  client: DynamoDBDocumentClient,
  tableName: string,
  listed: Item[],
  companionKey: (key: Key) => Key,
): Promise<Array<{ item: Item; companion: Item }>>;
export async function itemsOfIndexEntries(
  client: DynamoDBDocumentClient,
  tableName: string,
  listed: Item[],
  companionKey?: (key: Key) => Key,
): Promise<Item[] | Array<{ item: Item; companion: Item }>> {
  // Entries gathered over several pages can name one item twice (it moved along the index between
  // two pages), and BatchGetItem refuses a request with a key twice: each item is read and listed once.
  const entries = [...new Map(listed.map((entry) => [keyOf(entry), entry] as const)).values()];
  const keyOfEntry = (entry: Item): Key => ({ pk: String(entry.pk), sk: String(entry.sk) });
  const keys = entries.flatMap((entry) => (companionKey ? [keyOfEntry(entry), companionKey(keyOfEntry(entry))] : [keyOfEntry(entry)]));
  const batches: Key[][] = [];
  for (let start = 0; start < keys.length; start += keysPerBatch) batches.push(keys.slice(start, start + keysPerBatch));
  const found = (await Promise.all(batches.map((batch) => batchGetItems(client, tableName, batch)))).flat();
  const byKey = new Map(found.map((item) => [keyOf(item), item] as const));
  const current = entries.flatMap((entry) => {
    const item = byKey.get(keyOf(entry));
    return item && item.gsi1pk === entry.gsi1pk ? [{ entry, item }] : [];
  });
  if (!companionKey) return current.map(({ item }) => item);
  return current.flatMap(({ entry, item }) => {
    const companion = byKey.get(keyOf(companionKey(keyOfEntry(entry))));
    return companion ? [{ item, companion }] : [];
  });
}

const keyOf = (item: { pk?: unknown; sk?: unknown }) => `${String(item.pk)}\u0000${String(item.sk)}`;
