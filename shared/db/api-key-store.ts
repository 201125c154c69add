import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { displayPrefix, hashApiKey, keyIdOfHash, sameHash } from '../auth/api-keys.ts';
import type { Scope } from '../auth/scopes.ts';
import { apiKeyIndexKeys, apiKeyKey, apiKeysIndexPartition } from './keys.ts';
import { type CursorBinding, decodePageCursor, encodePageCursor, equals, keyPatterns, matches } from './page-cursor.ts';
import { call } from './store-errors.ts';

const apiKeysCursorBinding: CursorBinding = { list: 'api-keys', scope: {} };

type Item = Record<string, unknown>;

export interface ApiKeyRecord {
  keyId: string;
  name: string;
  scopes: Scope[];
  /** The first characters of the key, to recognise it in a list. */
  prefix: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

export interface ApiKeyPage {
  items: ApiKeyRecord[];
  nextCursor: string | null;
}

export interface ApiKeyStore {
  /** Stores a new key (its hash); false when a key with the same hash exists already. */
  create(input: { key: string; name: string; scopes: readonly Scope[]; createdBy: string; now?: Date }): Promise<ApiKeyRecord | undefined>;
  /** The live or revoked record of the key presented, or undefined for a key nobody issued. One GetItem. */
  findByKey(key: string): Promise<ApiKeyRecord | undefined>;
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, oldest first, from GSI1 (no Scan). */
  list(page: { limit: number; cursor?: string }): Promise<ApiKeyPage>;
  /** Revokes the key (idempotent: a second revoke keeps the first time); undefined when unknown. */
  revoke(keyId: string, revokedBy: string, now?: Date): Promise<ApiKeyRecord | undefined>;
}

export function dynamoApiKeyStore(client: DynamoDBDocumentClient, tableName: string): ApiKeyStore {
  async function create(input: Parameters<ApiKeyStore['create']>[0]): Promise<ApiKeyRecord | undefined> {
    const hash = hashApiKey(input.key);
    const keyId = keyIdOfHash(hash);
    const createdAt = (input.now ?? new Date()).toISOString();
    const record: ApiKeyRecord = {
      keyId,
      name: input.name,
      scopes: [...input.scopes],
      prefix: displayPrefix(input.key),
      createdAt,
      createdBy: input.createdBy,
      revokedAt: null,
      revokedBy: null,
    };
    try {
      await call(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            // No revokedAt attribute until a revoke: `if_not_exists` keeps the first revocation time.
            Item: { ...apiKeyKey(keyId), entity: 'apiKey', ...withoutRevocation(record), hash, ...apiKeyIndexKeys(createdAt, keyId) },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return record;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async function getItem(keyId: string): Promise<Item | undefined> {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: apiKeyKey(keyId), ConsistentRead: true })));
    return output.Item;
  }

  async function findByKey(key: string): Promise<ApiKeyRecord | undefined> {
    const hash = hashApiKey(key);
    const item = await getItem(keyIdOfHash(hash));
    // The id holds 80 bits of the hash; the whole hash must match, compared in constant time.
    if (!item || typeof item.hash !== 'string' || !sameHash(item.hash, hash)) return undefined;
    return toRecord(item);
  }

  async function get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const item = await getItem(keyId);
    return item ? toRecord(item) : undefined;
  }

  async function list(page: { limit: number; cursor?: string }): Promise<ApiKeyPage> {
    const output = await call(() =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :partition',
          ExpressionAttributeValues: { ':partition': apiKeysIndexPartition },
          Limit: page.limit,
          ...(page.cursor
            ? {
                ExclusiveStartKey: decodePageCursor(page.cursor, apiKeysCursorBinding, {
                  pk: matches(keyPatterns.apiKeyPartition),
                  sk: equals(apiKeyKey('').sk),
                  gsi1pk: equals(apiKeysIndexPartition),
                  gsi1sk: matches(keyPatterns.apiKeyIndexSortKey),
                }),
              }
            : {}),
        }),
      ),
    );
    return { items: (output.Items ?? []).map(toRecord), nextCursor: encodePageCursor(apiKeysCursorBinding, output.LastEvaluatedKey) };
  }

  async function revoke(keyId: string, revokedBy: string, now = new Date()): Promise<ApiKeyRecord | undefined> {
    try {
      const output = await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: apiKeyKey(keyId),
            UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now), revokedBy = if_not_exists(revokedBy, :by)',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':now': now.toISOString(), ':by': revokedBy },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return output.Attributes ? toRecord(output.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  return { create, findByKey, get, list, revoke };
}

function toRecord(item: Item): ApiKeyRecord {
  return {
    keyId: item.keyId as string,
    name: item.name as string,
    scopes: (item.scopes as Scope[] | undefined) ?? [],
    prefix: item.prefix as string,
    createdAt: item.createdAt as string,
    createdBy: (item.createdBy as string | undefined) ?? 'unknown',
    revokedAt: (item.revokedAt as string | null | undefined) ?? null,
    revokedBy: (item.revokedBy as string | null | undefined) ?? null,
  };
}

function withoutRevocation(record: ApiKeyRecord): Omit<ApiKeyRecord, 'revokedAt' | 'revokedBy'> {
  const { revokedAt: _at, revokedBy: _by, ...rest } = record;
  return rest;
}
