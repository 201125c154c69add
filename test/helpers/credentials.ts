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

/** Registers an API key in this file's table (as `npm run keys -- create` would) and returns it. */
export async function registerKey(key: string, name: string, scopes: readonly Scope[]): Promise<ApiKeyRecord | undefined> {
  return keyStore().create({ key, name, scopes, createdBy: 'test-setup' });
}

export async function revokeKey(keyId: string): Promise<void> {
  await keyStore().revoke(keyId, 'test-setup');
}
