import type { ApiKeyPage, ApiKeyRecord, ApiKeyStore } from '../db/api-key-store.ts';
import type { KeyKind } from '../schemas/api-key.ts';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { fingerprint } from '../domain/fingerprint.ts';
import { generateApiKey } from './api-keys.ts';
import type { Scope } from './scopes.ts';

export interface ApiKeyRequest {
  name: string;
  scopes: readonly Scope[];
  kind: KeyKind;
  /** The origins a public key may be used from. */
  allowedOrigins?: readonly string[];
  /** The key id of the key of this name that the new one rotates. */
  replaces?: string;
}

export interface Administrator {
  clientId: string;
  clientName: string;
}

export type CreatedApiKey =
  /** The key is here and nowhere else: only its SHA-256 is stored. */
  | { kind: 'created'; record: ApiKeyRecord; key: string }
  /** A retry with the same Idempotency-Key: the key it made, without the key itself. */
  | { kind: 'replayed'; record: ApiKeyRecord };

/** Issues a key; a retry without an Idempotency-Key meets the name's claim (409 naming the key). */
export async function createApiKey(store: ApiKeyStore, request: ApiKeyRequest, admin: Administrator, idempotencyKey?: string): Promise<CreatedApiKey> {
  const key = generateApiKey();
  const outcome = await store.create({
    key,
    name: request.name,
    scopes: request.scopes,
    kind: request.kind,
    ...(request.allowedOrigins ? { allowedOrigins: request.allowedOrigins } : {}),
    createdBy: admin.clientName,
    ...(request.replaces ? { replaces: request.replaces } : {}),
    ...(idempotencyKey ? { idempotency: { scope: admin.clientId, key: idempotencyKey, requestFingerprint: fingerprint(request) } } : {}),
  });
  switch (outcome.kind) {
    case 'created':
      return { kind: 'created', record: outcome.record, key };
    case 'replayed':
      return { kind: 'replayed', record: outcome.record };
    case 'name-taken':
      throw new ConflictError(
        `The name ${request.name} belongs to another key: one name is one system. To rotate that system's key, send "replaces" with its key id.`,
        { name: request.name, ...(outcome.keyId ? { keyId: outcome.keyId } : {}) },
      );
    case 'not-replaceable':
      throw new ValidationError([{ path: 'replaces', message: `is not the id of a key named ${request.name}` }]);
    case 'key-exists':
      // 256 random bits cannot collide with a stored key; a failure here is a bug, not a conflict.
      throw new Error('A freshly generated API key already exists');
  }
}

export function listApiKeys(store: ApiKeyStore, page: { limit: number; cursor?: string }): Promise<ApiKeyPage> {
  return store.list(page);
}

/** Idempotent: revoking a revoked key answers the first revocation. Takes effect within the authorizer cache TTL. */
export async function revokeApiKey(store: ApiKeyStore, keyId: string, revokedBy: string): Promise<ApiKeyRecord> {
  const record = await store.revoke(keyId, revokedBy);
  if (!record) throw new NotFoundError(`No API key has the id ${keyId}.`);
  return record;
}
