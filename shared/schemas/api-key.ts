import { z } from 'zod';
import { optionalCursor } from './common.ts';
import { scopes } from '../auth/scopes.ts';

/** A key's name is the `source` of what it posts: a system name, not free text. */
export const apiKeyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, _ . - starting with a letter or digit')
  .meta({ example: 'billing' });

export const scopeSchema = z.enum(scopes);

export const keyIdSchema = z.string().regex(/^key_[0-9a-f]{20}$/, 'must be a key id issued by this API (key_ and 20 hex digits)');

export const createApiKeySchema = z
  .object({
    name: apiKeyNameSchema,
    scopes: z
      .array(scopeSchema)
      .min(1)
      .max(scopes.length)
      .refine((list) => new Set(list).size === list.length, { message: 'name each scope once' }),
    replaces: keyIdSchema.optional().meta({
      description:
        'Rotation: the id of a key of the same name. One name is one system (its keys share an idempotency scope), ' +
        'so a name another key has is refused without it. The replaced key stays valid until revoked.',
    }),
  })
  .strict()
  .meta({ id: 'ApiKeyInput' });

export const keyPathSchema = z.object({ keyId: keyIdSchema.meta({ description: 'The keyId the creation answered' }) }).strict();

export const listApiKeysQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: 'Keys per page, 1 to 200 (default 50)' }),
    cursor: optionalCursor,
  })
  .strict();

export const apiKeySchema = z
  .object({
    keyId: keyIdSchema,
    name: z.string(),
    scopes: z.array(z.string()),
    prefix: z.string().meta({ description: 'The first characters of the key, to recognise it; never the whole key' }),
    createdAt: z.string(),
    createdBy: z.string(),
    revokedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().meta({ description: 'The key itself: shown this once, stored only as a hash' }) })
  .meta({ id: 'CreatedApiKey' });

export const replayedApiKeySchema = apiKeySchema
  .extend({ replayed: z.literal(true) })
  .meta({
    id: 'ReplayedApiKey',
    description:
      'A retry with the Idempotency-Key of a creation that committed: the key it made, as it is now, without the key itself ' +
      '(only its hash is stored). A client that lost the first answer revokes this key and creates another.',
  });

export const apiKeyListSchema = z
  .object({ items: z.array(apiKeySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ApiKeyList' });
