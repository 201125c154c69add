import * as z from '../schemas/zod.ts';
import { environmentSection } from '../config/config.ts';

/**
 * The authorizer's configuration, read once per cold start. JWT verification is on when
 * JWT_ISSUER is set (in AWS from CDK context `jwtIssuer`/`jwtAudience`/`jwtJwksUrl`); the JWKS URL
 * defaults to the issuer's `/.well-known/jwks.json` (Cognito, Auth0, Okta publish it there).
 */
const environmentSchema = z
  .object({
    JWT_ISSUER: z.optional(z.url()),
    JWT_AUDIENCE: z.optional(z.string().check(z.minLength(1))),
    JWT_JWKS_URL: z.optional(z.url()),
  })
  .check(
    z.refine((env) => !env.JWT_ISSUER || env.JWT_AUDIENCE, {
      message: 'JWT_AUDIENCE is required with JWT_ISSUER: a token for another API must not pass',
      path: ['JWT_AUDIENCE'],
    }),
  );

export interface JwtSettings {
  issuer: string;
  audience: string;
  jwksUrl: string;
}

export interface AuthConfig {
  jwt: JwtSettings | undefined;
}

export const authConfig: () => AuthConfig = environmentSection(
  'authorizer configuration',
  z.pipe(
    environmentSchema,
    z.transform(({ JWT_ISSUER: issuer, JWT_AUDIENCE: audience, JWT_JWKS_URL: jwksUrl }) => ({
      jwt: issuer && audience ? { issuer, audience, jwksUrl: jwksUrl ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json` } : undefined,
    })),
  ),
);
