import * as z from './zod.ts';
import { optionalCursor } from './common.ts';
import { scopes } from '../auth/scopes.ts';

/** A key's name is the `source` of what it posts: a system name, not free text. */
export const apiKeyNameSchema = z.withMeta(
  z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, _ . - starting with a letter or digit')),
  { example: 'billing' },
);

export const scopeSchema = z.enum(scopes);

export const keyIdSchema = z.string().check(z.regex(/^key_[0-9a-f]{20}$/, 'must be a key id issued by this API (key_ and 20 hex digits)'));

/** The only scope a public key holds: it sits in a public page, so it may only log visits. */
export const publicKeyScopes = ['touchpoints:write:web_visit'] as const;
export const maxAllowedOrigins = 20;

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A browser origin exactly as a browser sends it in the Origin header: https, or http on this
 * machine for development; no path, no wildcard, no trailing slash, lower case. The API compares
 * origins as strings, so anything a browser would not send could never match and is refused here.
 */
export const originSchema = z.withMeta(
  z.string().check(
    z.maxLength(300),
    z.refine(
      (value) => {
        if (!URL.canParse(value)) return false;
        const url = new URL(value);
        const secure = url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
        return secure && url.origin === value && !value.includes('*');
      },
      { message: 'must be an origin such as https://www.example.com (https, or http://localhost for development; no path, no wildcard)' },
    ),
  ),
  { example: 'https://www.example.com' },
);

export const keyKinds = ['secret', 'public'] as const;
export type KeyKind = (typeof keyKinds)[number];

export const createApiKeySchema = z.withMeta(
  z
    .strictObject({
      kind: z.withMeta(z._default(z.enum(keyKinds), 'secret'), {
        description:
          'secret (default): a server credential sent as Authorization: Bearer. public: for the website snippet, readable by anyone ' +
          'in the page, so write-only (scopes must be exactly touchpoints:write:web_visit), accepted only on POST /v1/web/touchpoints ' +
          'and only from its allowedOrigins.',
      }),
      allowedOrigins: z.withMeta(
        z.optional(
          z.array(originSchema).check(
            z.minLength(1),
            z.maxLength(maxAllowedOrigins),
            z.refine((list) => new Set(list).size === list.length, { message: 'name each origin once' }),
          ),
        ),
        { description: 'A public key only: the sites (Origin header) whose pages may use it; CORS is answered for exactly these' },
      ),
      name: apiKeyNameSchema,
      scopes: z.array(scopeSchema).check(
        z.minLength(1),
        z.maxLength(scopes.length),
        z.refine((list) => new Set(list).size === list.length, { message: 'name each scope once' }),
      ),
      replaces: z.withMeta(z.optional(keyIdSchema), {
        description:
          'Rotation: the id of a key of the same name. One name is one system (its keys share an idempotency scope), ' +
          'so a name another key has is refused without it. The replaced key stays valid until revoked.',
      }),
    })
    .check(
      z.superRefine((input, context) => {
        if (input.kind === 'secret') {
          if (input.allowedOrigins) context.addIssue({ code: 'custom', path: ['allowedOrigins'], message: 'only a public key is bound to origins' });
          return;
        }
        if (!input.allowedOrigins) context.addIssue({ code: 'custom', path: ['allowedOrigins'], message: 'a public key needs the origins that may use it' });
        if (input.scopes.length !== 1 || input.scopes[0] !== publicKeyScopes[0]) {
          context.addIssue({ code: 'custom', path: ['scopes'], message: `a public key holds exactly ${publicKeyScopes[0]}: anyone can read it in the page` });
        }
      }),
    ),
  { id: 'ApiKeyInput' },
);

export const keyPathSchema = z.strictObject({ keyId: z.withMeta(keyIdSchema, { description: 'The keyId the creation answered' }) });

export const listApiKeysQuerySchema = z.strictObject({
  limit: z.withMeta(z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(200)), 50), { description: 'Keys per page, 1 to 200 (default 50)' }),
  cursor: optionalCursor,
});

export const apiKeySchema = z.withMeta(
  z.object({
    keyId: keyIdSchema,
    name: z.string(),
    scopes: z.array(z.string()),
    kind: z.enum(keyKinds),
    allowedOrigins: z.withMeta(z.array(z.string()), { description: 'The origins a public key is bound to; empty for a secret key' }),
    prefix: z.withMeta(z.string(), { description: 'The first characters of the key, to recognise it; never the whole key' }),
    createdAt: z.string(),
    createdBy: z.string(),
    revokedAt: z.nullable(z.string()),
    revokedBy: z.nullable(z.string()),
  }),
  { id: 'ApiKey' },
);

export const createdApiKeySchema = z.withMeta(
  z.extend(apiKeySchema, { key: z.withMeta(z.string(), { description: 'The key itself: shown this once, stored only as a hash' }) }),
  { id: 'CreatedApiKey' },
);

export const replayedApiKeySchema = z.withMeta(z.extend(apiKeySchema, { replayed: z.literal(true) }), {
  id: 'ReplayedApiKey',
  description:
    'A retry with the Idempotency-Key of a creation that committed: the key it made, as it is now, without the key itself ' +
    '(only its hash is stored). A client that lost the first answer revokes this key and creates another.',
});

export const apiKeyListSchema = z.withMeta(z.object({ items: z.array(apiKeySchema), nextCursor: z.nullable(z.string()) }), { id: 'ApiKeyList' });
