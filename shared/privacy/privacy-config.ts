import { z } from 'zod';

/**
 * The key of the suppression list's HMAC. Locally (outside Lambda) a fixed development secret is
 * used when none is set, so `npm start` and the tests need no setup; in Lambda a missing secret
 * fails loudly, since suppressions hashed with a guessable key could be tested offline.
 * Changing the secret orphans every existing suppression: rotate by lifting and re-adding.
 */
export const developmentSuppressionSecret = 'touchpoint-local-development-suppression-secret';

const environmentSchema = z.object({
  SUPPRESSION_HMAC_SECRET: z.string().min(32, 'SUPPRESSION_HMAC_SECRET must be at least 32 characters').optional(),
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
});

let cached: { suppressionSecret: string } | undefined;

export function privacyConfig(): { suppressionSecret: string } {
  if (cached) return cached;
  const parsed = environmentSchema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  const { SUPPRESSION_HMAC_SECRET: secret, AWS_LAMBDA_FUNCTION_NAME: inLambda } = parsed.data;
  if (!secret && inLambda) throw new Error('Invalid configuration: SUPPRESSION_HMAC_SECRET must be set in Lambda');
  cached = { suppressionSecret: secret ?? developmentSuppressionSecret };
  return cached;
}
