import { z } from 'zod';

/**
 * The authorizer's configuration, read once per cold start. JWT verification is on when
 * JWT_ISSUER is set (in AWS from CDK context `jwtIssuer`/`jwtAudience`/`jwtJwksUrl`); the JWKS URL
 * defaults to the issuer's `/.well-known/jwks.json` (Cognito, Auth0, Okta publish it there).
 */
const environmentSchema = z
  .object({
    JWT_ISSUER: z.url().optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    JWT_JWKS_URL: z.url().optional(),
  })
  .refine((env) => !env.JWT_ISSUER || env.JWT_AUDIENCE, {
    message: 'JWT_AUDIENCE is required with JWT_ISSUER: a token for another API must not pass',
    path: ['JWT_AUDIENCE'],
  });

export interface JwtSettings {
  issuer: string;
  audience: string;
  jwksUrl: string;
}

export interface AuthConfig {
  jwt: JwtSettings | undefined;
}

let cached: AuthConfig | undefined;

export function authConfig(): AuthConfig {
  if (cached) return cached;
  const parsed = environmentSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid authorizer configuration: ${problems}`);
  }
  const { JWT_ISSUER: issuer, JWT_AUDIENCE: audience, JWT_JWKS_URL: jwksUrl } = parsed.data;
  cached = {
    jwt:
      issuer && audience
        ? { issuer, audience, jwksUrl: jwksUrl ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json` }
        : undefined,
  };
  return cached;
}
