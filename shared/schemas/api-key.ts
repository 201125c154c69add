import * as z from 'zod';
import { optionalCursor } from './common.ts';
import { scopes } from '../auth/scopes.ts';

/** A key's name is the `source` of what it posts: a system name, not free text. */
export const apiKeyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, _ . - starting with a letter or digit')
  .meta({ example: 'billing' });

export const scopeSchema = z.enum(scopes);

export const keyIdSchema = z.string().regex(/^key_[0-9a-f]{20}$/, 'must be a key id issued by this API (key_ and 20 hex digits)');

/** The only scope a public key holds: it sits in a public page, so it may only log visits. */
export const publicKeyScopes = ['touchpoints:write:web_visit'] as const;
export const maxAllowedOrigins = 20;

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A browser origin exactly as a browser sends it in the Origin header: https, or http on this
 * machine for development; no path, no wildcard, no trailing slash, lower case. The API compares
 * origins as strings, so anything a browser would not send could never match and is refused here.
 */
export const originSchema = z
  .string()
  .max(300)
  .refine(
    (value) => {
      if (!URL.canParse(value)) return false;
      const url = new URL(value);
      const secure = url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
      return secure && url.origin === value && !value.includes('*');
    },
    { message: 'must be an origin such as https://www.example.com (https, or http://localhost for development; no path, no wildcard)' },
  )
  .meta({ example: 'https://www.example.com' });

export const keyKinds = ['secret', 'public'] as const;
export type KeyKind = (typeof keyKinds)[number];

export const createApiKeySchema = z
  .object({
    kind: z
      .enum(keyKinds)
      .default('secret')
      .meta({
        description:
          'secret (default): a server credential sent as Authorization: Bearer. public: for the website snippet, readable by anyone ' +
          'in the page, so write-only (scopes must be exactly touchpoints:write:web_visit), accepted only on POST /v1/web/touchpoints ' +
          'and only from its allowedOrigins.',
      }),
    allowedOrigins: z
      .array(originSchema)
      .min(1)
      .max(maxAllowedOrigins)
      .refine((list) => new Set(list).size === list.length, { message: 'name each origin once' })
      .optional()
      .meta({ description: 'A public key only: the sites (Origin header) whose pages may use it; CORS is answered for exactly these' }),
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
  .superRefine((input, context) => {
    if (input.kind === 'secret') {
      if (input.allowedOrigins) context.addIssue({ code: 'custom', path: ['allowedOrigins'], message: 'only a public key is bound to origins' });
      return;
    }
    if (!input.allowedOrigins) context.addIssue({ code: 'custom', path: ['allowedOrigins'], message: 'a public key needs the origins that may use it' });
    if (input.scopes.length !== 1 || input.scopes[0] !== publicKeyScopes[0]) {
      context.addIssue({ code: 'custom', path: ['scopes'], message: `a public key holds exactly ${publicKeyScopes[0]}: anyone can read it in the page` });
    }
  })
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
    kind: z.enum(keyKinds),
    allowedOrigins: z.array(z.string()).meta({ description: 'The origins a public key is bound to; empty for a secret key' }),
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

export const replayedApiKeySchema = apiKeySchema.extend({ replayed: z.literal(true) }).meta({
  id: 'ReplayedApiKey',
  description:
    'A retry with the Idempotency-Key of a creation that committed: the key it made, as it is now, without the key itself ' +
    '(only its hash is stored). A client that lost the first answer revokes this key and creates another.',
});

export const apiKeyListSchema = z.object({ items: z.array(apiKeySchema), nextCursor: z.string().nullable() }).meta({ id: 'ApiKeyList' });
