/**
 * The one table of Touchpoint API, described once: the CDK stack and the local server
 * (and the tests) build their table from this description, so they cannot drift apart.
 */
export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes an item some time after this moment (retention, read audit). */
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    // A general-purpose inverted index for list views that must not scan the table
    // (merge candidates, customers of a value tier, API keys, merges in progress). Keys only:
    // a customer's first card write of a day moves a profile's sort key (the day of its last
    // contact), which DynamoDB bills as a delete and a put of the projected entry, so a projected
    // profile would cost its whole size twice more. The list views read the page's items with one
    // BatchGetItem.
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projectionType: 'KEYS_ONLY' },
  ],
} as const;

export type GlobalSecondaryIndexName = (typeof tableDefinition.globalSecondaryIndexes)[number]['indexName'];
