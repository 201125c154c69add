import { z } from 'zod';

const environmentSchema = z.object({
  TABLE_NAME: z.string().min(3, 'TABLE_NAME must name the DynamoDB table'),
  /** Set locally (DynamoDB Local); unset in AWS, where the SDK finds the regional endpoint. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().default('eu-west-2'),
  /** Region assumed for phone numbers written in national format, e.g. `020 7946 0018`. */
  DEFAULT_PHONE_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/, 'DEFAULT_PHONE_REGION must be an ISO 3166-1 alpha-2 code such as GB')
    .default('GB'),
  /** The web route's limits per public key and per visitor (anonymous id), in requests a minute. */
  WEB_KEY_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  WEB_VISITOR_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
});

export type Config = z.infer<typeof environmentSchema>;

let cached: Config | undefined;

/** Reads the environment once per cold start; a missing or malformed variable fails loudly. */
export function config(): Config {
  if (cached) return cached;
  const parsed = environmentSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  cached = parsed.data;
  return cached;
}
