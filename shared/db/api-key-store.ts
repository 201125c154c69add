import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { displayPrefix, hashApiKey, keyIdOfHash, sameHash } from '../auth/api-keys.ts';
import type { Scope } from '../auth/scopes.ts';
import type { KeyKind } from '../schemas/api-key.ts';
import { IdempotencyConflictError, StoreUnavailableError } from '../domain/errors.ts';
import { idempotencyRetentionSeconds } from './idempotency-store.ts';
import { itemsOfIndexEntries } from './index-page.ts';
import { apiKeyIndexKeys, apiKeyKey, apiKeysIndexPartition, keyCreationIdempotencyKey } from './keys.ts';
import { type CursorBinding, decodePageCursor, encodePageCursor, equals, keyPatterns, matches } from './page-cursor.ts';
import { apiKeyEntity, apiKeyNameEntity, keyCreationIdempotencyEntity } from './items/api-key.ts';
import { call } from './store-errors.ts';
import { updateExpression } from './update-expression.ts';

const apiKeysCursorBinding: CursorBinding = { list: 'api-keys', scope: {} };

type Item = Record<string, unknown>;
type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

export interface ApiKeyRecord {
  keyId: string;
  name: string;
  scopes: Scope[];
  /** A public key sits in a web page: write-only, and accepted only from its allowed origins. */
  kind: KeyKind;
  /** The origins (Origin header) a public key may be used from; empty for a secret key. */
  allowedOrigins: string[];
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

export interface CreateApiKeyInput {
  key: string;
  name: string;
  scopes: readonly Scope[];
  /** secret when left out. */
  kind?: KeyKind;
  allowedOrigins?: readonly string[];
  createdBy: string;
  /**
   * A key of the same name this one rotates: the new key joins that system (and its idempotency
   * scope). Without it, a name another key has is refused.
   */
  replaces?: string;
  /** The creating client's Idempotency-Key and the digest of its request. */
  idempotency?: { scope: string; key: string; requestFingerprint: string };
  now?: Date;
}

export type CreateApiKeyOutcome =
  | { kind: 'created'; record: ApiKeyRecord }
  /** The same request was made before with this Idempotency-Key: the key it made (the key itself is not kept). */
  | { kind: 'replayed'; record: ApiKeyRecord }
  /** A key with the same hash exists (a hand-chosen key registered before). */
  | { kind: 'key-exists' }
  /** Another key has this name; `keyId` is the latest of them. */
  | { kind: 'name-taken'; keyId: string | undefined }
  /** `replaces` names no key of this name. */
  | { kind: 'not-replaceable' };

export interface ApiKeyStore {
  /**
   * Stores a new key (its hash) and claims its name, all or nothing: one TransactWriteItems with
   * the key, the name's claim and the Idempotency-Key's record.
   */
  create(input: CreateApiKeyInput): Promise<CreateApiKeyOutcome>;
  /** The live or revoked record of the key presented, or undefined for a key nobody issued. One GetItem. */
  findByKey(key: string): Promise<ApiKeyRecord | undefined>;
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, oldest first, from GSI1 (no Scan). */
  list(page: { limit: number; cursor?: string }): Promise<ApiKeyPage>;
  /** Revokes the key (idempotent: a second revoke keeps the first time); undefined when unknown. */
  revoke(keyId: string, revokedBy: string, now?: Date): Promise<ApiKeyRecord | undefined>;
}

export function dynamoApiKeyStore(client: DynamoDBDocumentClient, tableName: string): ApiKeyStore {
  async function create(input: CreateApiKeyInput): Promise<CreateApiKeyOutcome> {
    if (input.idempotency) {
      const replayed = await replayCreation(input.idempotency);
      if (replayed) return replayed;
    }
    const hash = hashApiKey(input.key);
    const keyId = keyIdOfHash(hash);
    const createdAt = (input.now ?? new Date()).toISOString();
    const record: ApiKeyRecord = {
      keyId,
      name: input.name,
      scopes: [...input.scopes],
      kind: input.kind ?? 'secret',
      allowedOrigins: [...(input.allowedOrigins ?? [])],
      prefix: displayPrefix(input.key),
      createdAt,
      createdBy: input.createdBy,
      revokedAt: null,
      revokedBy: null,
    };
    const roles: Array<'key' | 'name' | 'replaced' | 'idempotency'> = [];
    const items: TransactItem[] = [];
    const add = (role: (typeof roles)[number], item: TransactItem) => {
      roles.push(role);
      items.push(item);
    };
    add('key', {
      Put: {
        TableName: tableName,
        // No revokedAt attribute until a revoke: `if_not_exists` keeps the first revocation time.
        Item: apiKeyEntity.item(apiKeyEntity.key(keyId), { ...withoutRevocation(record), hash }, apiKeyIndexKeys(createdAt, keyId)),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    const nameClaim = apiKeyNameEntity.item(apiKeyNameEntity.key(input.name), { name: input.name, latestKeyId: keyId, updatedAt: createdAt });
    if (input.replaces) {
      add('replaced', {
        ConditionCheck: {
          TableName: tableName,
          Key: apiKeyKey(input.replaces),
          ConditionExpression: '#name = :name',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: { ':name': input.name },
        },
      });
      add('name', { Put: { TableName: tableName, Item: nameClaim } });
    } else {
      add('name', {
        Put: { TableName: tableName, Item: nameClaim, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
      });
    }
    if (input.idempotency) {
      add('idempotency', {
        Put: {
          TableName: tableName,
          Item: keyCreationIdempotencyEntity.item(keyCreationIdempotencyEntity.key(input.idempotency.scope, input.idempotency.key), {
            requestFingerprint: input.idempotency.requestFingerprint,
            keyId,
            createdAt,
            expiresAt: Math.floor(Date.parse(createdAt) / 1000) + idempotencyRetentionSeconds,
          }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    try {
      await call(() => client.send(new TransactWriteCommand({ TransactItems: items })));
      return { kind: 'created', record };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const failed = new Map<string, Item | undefined>();
      (error.CancellationReasons ?? []).forEach((reason, index) => {
        const role = roles[index];
        if (role && reason.Code === 'ConditionalCheckFailed') failed.set(role, reason.Item ? unmarshall(reason.Item) : undefined);
      });
      // The same creation, committed by a concurrent try: answer as its replay.
      if (failed.has('idempotency') && input.idempotency) {
        const replayed = await replayCreation(input.idempotency);
        if (replayed) return replayed;
      }
      if (failed.has('key')) return { kind: 'key-exists' };
      if (failed.has('replaced')) return { kind: 'not-replaceable' };
      if (failed.has('name')) {
        const latest = failed.get('name')?.latestKeyId;
        return { kind: 'name-taken', keyId: typeof latest === 'string' ? latest : undefined };
      }
      // Another transaction on the same items (DynamoDB in AWS says so where DynamoDB Local waits): nothing was written.
      if ((error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')) {
        throw new StoreUnavailableError('Another request was changing the same key name; nothing was written. Retry shortly.', { cause: error });
      }
      throw error;
    }
  }

  async function replayCreation(idempotency: NonNullable<CreateApiKeyInput['idempotency']>): Promise<CreateApiKeyOutcome | undefined> {
    const output = await call(() =>
      client.send(new GetCommand({ TableName: tableName, Key: keyCreationIdempotencyKey(idempotency.scope, idempotency.key), ConsistentRead: true })),
    );
    if (!output.Item) return undefined;
    const creation = keyCreationIdempotencyEntity.parse(output.Item);
    if (creation.requestFingerprint !== idempotency.requestFingerprint) {
      throw new IdempotencyConflictError('This Idempotency-Key was already used to create a different key; use a new key for a new request.');
    }
    const record = await get(creation.keyId);
    // The record and the key are written in one transaction: a record without its key is a bug.
    if (!record) throw new Error('A key creation record names a key that does not exist');
    return { kind: 'replayed', record };
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
    const keys = await itemsOfIndexEntries(client, tableName, output.Items ?? []);
    return { items: keys.map(toRecord), nextCursor: encodePageCursor(apiKeysCursorBinding, output.LastEvaluatedKey) };
  }

  async function revoke(keyId: string, revokedBy: string, now = new Date()): Promise<ApiKeyRecord | undefined> {
    try {
      const output = await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: apiKeyKey(keyId),
            ...updateExpression().setIfMissing('revokedAt', now.toISOString()).setIfMissing('revokedBy', revokedBy).when('attribute_exists(pk)').build(),
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
  const { keyId, name, scopes, kind, allowedOrigins, prefix, createdAt, createdBy, revokedAt, revokedBy } = apiKeyEntity.parse(item);
  return { keyId, name, scopes, kind, allowedOrigins, prefix, createdAt, createdBy, revokedAt: revokedAt ?? null, revokedBy: revokedBy ?? null };
}

function withoutRevocation(record: ApiKeyRecord): Omit<ApiKeyRecord, 'revokedAt' | 'revokedBy'> {
  const { revokedAt: _at, revokedBy: _by, ...rest } = record;
  return rest;
}
