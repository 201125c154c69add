import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { authConfig } from '../../shared/auth/auth-config.ts';
import { type AuthorizeDependencies, authorize } from '../../shared/auth/authorize.ts';
import { type AuthorizerContext, toAuthorizerContext } from '../../shared/auth/client.ts';
import { jwtVerifier } from '../../shared/auth/jwt-verifier.ts';
import { authorizerApiKeyStore } from '../../shared/db/privacy-store-instances.ts';
import { logger } from '../../shared/observability/logger.ts';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext | Record<string, never>>;

/**
 * The HTTP API Lambda authorizer (REQUEST type, payload 2.0, simple responses). API Gateway calls
 * it before every protected route and caches its answer per Authorization header and route key
 * (see infra: identity sources and TTL), so a revoked key stops working within the cache TTL.
 * The route key names the route, and the route table names the access it needs.
 */
export async function authorizeRequest(
  event: APIGatewayRequestAuthorizerEventV2,
  dependencies: AuthorizeDependencies = defaultDependencies(),
): Promise<AuthorizerResult> {
  const authorization = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const decision = await authorize({ routeKey: event.routeKey, authorization }, dependencies);
  if (!decision.isAuthorized) {
    // The reason helps an operator; the caller only learns 401/403. Never log the credential.
    // This line ("Request denied") is also the AuthorizerDenials metric (a metric filter in infra).
    logger.info('Request denied', {
      denial: decision.reason,
      routeKey: event.routeKey,
      requestId: event.requestContext?.requestId,
      ...(decision.clientId ? { clientId: decision.clientId } : {}),
    });
    return { isAuthorized: false, context: {} };
  }
  return { isAuthorized: true, context: toAuthorizerContext(decision.client) };
}

let dependencies: AuthorizeDependencies | undefined;

/** Built once per cold start. */
function defaultDependencies(): AuthorizeDependencies {
  if (dependencies) return dependencies;
  const keys = authorizerApiKeyStore();
  const jwt = authConfig().jwt;
  dependencies = { findKey: (key) => keys.findByKey(key), ...(jwt ? { verifyJwt: jwtVerifier(jwt) } : {}) };
  return dependencies;
}

export const handler = (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => authorizeRequest(event);
