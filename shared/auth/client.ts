import * as z from '../schemas/zod.ts';
import { HttpProblemError, problem } from '../http/problems.ts';
import { isScope } from './access.ts';
import type { Scope } from './scopes.ts';

/** Who is calling, as the authorizer established it (an API key or a staff member's OIDC token). */
export interface AuthenticatedClient {
  /** `key_...` for an API key, `jwt:<sub>` for a token. */
  clientId: string;
  /** The key's name (`billing`) or the token's client: the `source` of what it posts. */
  clientName: string;
  scopes: ReadonlySet<Scope>;
}

/**
 * The authorizer's simple-response `context`, as API Gateway hands it to the route's Lambda in
 * `requestContext.authorizer.lambda`. Scopes travel space-separated: a flat string is what every
 * API Gateway authorizer context carries reliably.
 */
export interface AuthorizerContext {
  clientId: string;
  clientName: string;
  scopes: string;
}

const authorizerContextSchema = z.object({
  clientId: z.string().check(z.minLength(1), z.maxLength(300)),
  clientName: z.string().check(z.minLength(1), z.maxLength(100)),
  scopes: z.string().check(z.maxLength(4000)),
});

export function toAuthorizerContext(client: AuthenticatedClient): AuthorizerContext {
  return { clientId: client.clientId, clientName: client.clientName, scopes: [...client.scopes].sort().join(' ') };
}

export function fromAuthorizerContext(context: AuthorizerContext): AuthenticatedClient {
  return {
    clientId: context.clientId,
    clientName: context.clientName,
    scopes: new Set(context.scopes.split(' ').filter(isScope)),
  };
}

/**
 * The client of a request. Every route but the public ones sits behind the authorizer, so a
 * missing or malformed context means a wiring mistake: refuse rather than guess.
 */
export function authenticatedClient(event: { requestContext: unknown }): AuthenticatedClient {
  const lambda = (event.requestContext as { authorizer?: { lambda?: unknown } } | undefined)?.authorizer?.lambda;
  const parsed = authorizerContextSchema.safeParse(lambda);
  if (!parsed.success) {
    throw new HttpProblemError(problem(401, 'unauthenticated', 'Unauthenticated', 'This route needs a credential.'), {
      'www-authenticate': 'Bearer',
    });
  }
  return fromAuthorizerContext(parsed.data);
}

export function forbidden(detail: string): HttpProblemError {
  return new HttpProblemError(problem(403, 'forbidden', 'Forbidden', detail));
}
