import { allScopes } from '../../shared/auth/access.ts';
import type { AuthorizerContext } from '../../shared/auth/client.ts';
import type { Scope } from '../../shared/auth/scopes.ts';
import { type ApiKeyRecord, dynamoApiKeyStore } from '../../shared/db/api-key-store.ts';
import { createDocumentClient } from '../../shared/db/client.ts';
import { testTableName } from './dynamodb.ts';

/**
 * The credentials every test sends unless it says otherwise: a client holding every scope
 * (including `touchpoints:relay`, so the `source` in a test's body is the one stored).
 */
export const defaultTestClientName = 'test-suite';
export const defaultTestKey = 'tpk_test-suite-key-with-every-scope-0000000000';

export const defaultAuthorizerContext: AuthorizerContext = {
  clientId: 'key_test-suite',
  clientName: defaultTestClientName,
  scopes: [...allScopes].sort().join(' '),
};

/** An authorizer context for a handler-level test of one client's rights. */
export function authorizerContext(scopes: readonly Scope[], clientName = 'test-client'): AuthorizerContext {
  return { clientId: `key_${clientName}`, clientName, scopes: [...scopes].sort().join(' ') };
}

function keyStore() {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  return dynamoApiKeyStore(createDocumentClient({ region: 'local', ...(endpoint ? { endpoint } : {}) }), testTableName());
}

/**
 * Registers an API key in this file's table (as `npm run keys -- create` would) and returns it;
 * undefined when that very key is registered already. A name taken by another key is taken as
 * the same system's: the new key rotates it (`--replaces`).
 */
export async function registerKey(key: string, name: string, scopes: readonly Scope[]): Promise<ApiKeyRecord | undefined> {
  const request = { key, name, scopes, createdBy: 'test-setup' };
  let outcome = await keyStore().create(request);
  if (outcome.kind === 'name-taken' && outcome.keyId) outcome = await keyStore().create({ ...request, replaces: outcome.keyId });
  if (outcome.kind === 'created') return outcome.record;
  if (outcome.kind === 'key-exists') return undefined;
  throw new Error(`Registering the test key ${name} failed: ${outcome.kind}`);
}

export async function revokeKey(keyId: string): Promise<void> {
  await keyStore().revoke(keyId, 'test-setup');
}
