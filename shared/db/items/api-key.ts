import * as z from '../../schemas/zod.ts';
import type { Scope } from '../../auth/scopes.ts';
import { keyKinds } from '../../schemas/api-key.ts';
import { apiKeyKey, apiKeyNameKey, keyCreationIdempotencyKey } from '../keys.ts';
import { defineEntity } from './entity.ts';

/** An API key (`APIKEY#<keyId>`): its SHA-256, name, scopes, revocation; GSI1 lists every key oldest first. */
export const apiKeyEntity = defineEntity({
  name: 'apiKey',
  attributes: z.object({
    keyId: z.string(),
    name: z.string(),
    /** As granted then: a scope renamed since still reads (and grants nothing it no longer names). */
    scopes: z._default(z.array(z.custom<Scope>((value) => typeof value === 'string')), []),
    /** Keys stored before public keys existed are secret keys. */
    kind: z._default(z.enum(keyKinds), 'secret'),
    /** The origins a public key may be used from; empty for a secret key. */
    allowedOrigins: z._default(z.array(z.string()), []),
    prefix: z.string(),
    hash: z.optional(z.string()),
    createdAt: z.string(),
    createdBy: z._default(z.string(), 'unknown'),
    /** Absent until a revoke: `if_not_exists` keeps the first revocation. */
    revokedAt: z.nullish(z.string()),
    revokedBy: z.nullish(z.string()),
  }),
  key: apiKeyKey,
});

/** A key name's claim (`APIKEYNAME#<name>`): one system per name, and its latest key. */
export const apiKeyNameEntity = defineEntity({
  name: 'apiKeyName',
  attributes: z.object({ name: z.string(), latestKeyId: z.string(), updatedAt: z.string() }),
  key: apiKeyNameKey,
});

/** A key creation's Idempotency-Key (`IDEMKEY#<hashed scope>#<key>`): the request's digest and the key it made. */
export const keyCreationIdempotencyEntity = defineEntity({
  name: 'keyCreationIdempotency',
  attributes: z.object({ requestFingerprint: z.string(), keyId: z.string(), createdAt: z.string(), expiresAt: z.number() }),
  key: keyCreationIdempotencyKey,
});
