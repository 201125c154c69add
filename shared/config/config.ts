import * as z from '../schemas/zod.ts';

/**
 * The one place that reads the environment. Each function's variables form a section, validated
 * on first use and kept for the process (a cold start): a missing or malformed variable fails
 * loudly there, not deep inside a request. Sections stay apart because functions get different
 * variables (the authorizer has no table, the event publisher no JWT settings).
 */
export function environmentSection<S extends z.ZodMiniType>(label: string, schema: S): () => z.output<S> {
  let cached: z.output<S> | undefined;
  return () => {
    if (cached !== undefined) return cached;
    const parsed = schema.safeParse(process.env);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new Error(`Invalid ${label}: ${problems}`);
    }
    cached = parsed.data;
    return cached;
  };
}

const environmentSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(3, 'TABLE_NAME must name the DynamoDB table')),
  /** Set locally (DynamoDB Local); unset in AWS, where the SDK finds the regional endpoint. */
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  AWS_REGION: z._default(z.string(), 'eu-west-2'),
  /** Region assumed for phone numbers written in national format, e.g. `020 7946 0018`. */
  DEFAULT_PHONE_REGION: z._default(z.string().check(z.regex(/^[A-Z]{2}$/, 'DEFAULT_PHONE_REGION must be an ISO 3166-1 alpha-2 code such as GB')), 'GB'),
  /** The web route's limits per public key and per visitor (anonymous id), in requests a minute. */
  WEB_KEY_REQUESTS_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.gte(1)), 600),
  WEB_VISITOR_REQUESTS_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.gte(1)), 30),
});

export type Config = z.infer<typeof environmentSchema>;

/** The table and its client: every function that reads or writes customers. */
export const config = environmentSection('configuration', environmentSchema);

/**
 * The key of the suppression list's HMAC. Locally (outside Lambda) a fixed development secret is
 * used when none is set, so `npm start` and the tests need no setup; in Lambda a missing secret
 * fails loudly, since suppressions hashed with a guessable key could be tested offline.
 * Changing the secret orphans every existing suppression: rotate by lifting and re-adding.
 */
export const developmentSuppressionSecret = 'touchpoint-local-development-suppression-secret';

export const suppressionConfig = environmentSection(
  'configuration',
  z.pipe(
    z
      .object({
        SUPPRESSION_HMAC_SECRET: z.optional(z.string().check(z.minLength(32, 'SUPPRESSION_HMAC_SECRET must be at least 32 characters'))),
        AWS_LAMBDA_FUNCTION_NAME: z.optional(z.string()),
      })
      .check(
        z.refine((env) => env.SUPPRESSION_HMAC_SECRET || !env.AWS_LAMBDA_FUNCTION_NAME, {
          message: 'must be set in Lambda',
          path: ['SUPPRESSION_HMAC_SECRET'],
        }),
      ),
    z.transform((env) => ({ suppressionSecret: env.SUPPRESSION_HMAC_SECRET ?? developmentSuppressionSecret })),
  ),
);
