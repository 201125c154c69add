import type { ApiKeyStore } from '../db/api-key-store.ts';
import { allScopes } from './access.ts';
import { keyIdOf, minKeyLength } from './api-keys.ts';

export const bootstrapKeyName = 'bootstrap';

export type BootstrapOutcome = { kind: 'registered' | 'present' | 'revoked'; keyId: string };

/**
 * `TOUCHPOINT_BOOTSTRAP_KEY`: makes `npm start` register that key with every scope unless it is
 * there already, so a fresh local setup (or a test run) has a credential without a CLI step.
 * A revoked bootstrap key stays revoked: revocation must win over a restart.
 */
export async function registerBootstrapKey(store: ApiKeyStore, key: string): Promise<BootstrapOutcome> {
  if (key.length < minKeyLength || !/^[\x21-\x7e]+$/.test(key)) {
    throw new Error(`TOUCHPOINT_BOOTSTRAP_KEY must be at least ${minKeyLength} printable characters without spaces`);
  }
  const request = { key, name: bootstrapKeyName, scopes: allScopes, createdBy: 'npm start (TOUCHPOINT_BOOTSTRAP_KEY)' };
  let outcome = await store.create(request);
  // A new bootstrap key in the environment is the same local operator's: it rotates the old one.
  if (outcome.kind === 'name-taken' && outcome.keyId) outcome = await store.create({ ...request, replaces: outcome.keyId });
  if (outcome.kind === 'created') return { kind: 'registered', keyId: outcome.record.keyId };
  if (outcome.kind !== 'key-exists') throw new Error(`The bootstrap key could not be registered (${outcome.kind})`);
  const existing = await store.findByKey(key);
  return { kind: existing?.revokedAt ? 'revoked' : 'present', keyId: keyIdOf(key) };
}
