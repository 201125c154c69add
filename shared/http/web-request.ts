import type { AuthenticatedClient } from '../auth/client.ts';
import { authenticatePublicKey, corsHeaders, publicKeyParameter } from '../auth/public-key.ts';
import { createHash } from 'node:crypto';
import { config } from '../config/config.ts';
import { ValidationError } from '../domain/errors.ts';
import { apiKeyStore, rateLimitStore } from '../db/privacy-store-instances.ts';
import { type ApiEvent, type ApiResponse, header } from './api-handler.ts';
import { toProblemResponse } from './error-boundary.ts';
import { HttpProblemError, problem } from './problems.ts';

/** What the snippet sends: a POST whose only non-simple header may be its content type (or a batch Idempotency-Key). */
export const webPreflightHeaders: Record<string, string> = {
  'access-control-allow-methods': 'POST',
  'access-control-allow-headers': 'content-type, idempotency-key',
  'access-control-max-age': '600',
};

/**
 * Runs a web-route request for the public key in its URL, from an origin the key allows. A refusal
 * of the key or origin carries no CORS headers (the browser then fails the call, and the page
 * learns nothing); every answer after that carries them, problems included, so the snippet can
 * read a 422 or a 503 and retry.
 */
export async function webRequest(
  event: ApiEvent,
  options: { refuseGlobalPrivacyControl: boolean },
  work: (client: AuthenticatedClient) => Promise<ApiResponse>,
): Promise<ApiResponse> {
  const { client, origin } = await authenticatePublicKey({ key: event.queryStringParameters?.[publicKeyParameter], origin: header(event, 'origin') }, (key) =>
    apiKeyStore().findByKey(key),
  );
  const cors = corsHeaders(origin);
  try {
    if (options.refuseGlobalPrivacyControl && header(event, 'sec-gpc')?.trim() === '1') {
      throw new HttpProblemError(
        problem(403, 'global-privacy-control', 'Forbidden', 'The browser sent Sec-GPC: 1 (Global Privacy Control): nothing was recorded.'),
      );
    }
    await takeRateLimits(client, event.body);
    const response = await work(client);
    return { ...response, headers: { ...response.headers, ...cors } };
  } catch (error) {
    const { problem: body, headers } = toProblemResponse(error, event.requestContext.requestId);
    return { statusCode: body.status, body, headers: { 'content-type': 'application/problem+json', ...headers, ...cors } };
  }
}

/**
 * One request a minute per public key and per visitor is counted in the table: a public key is
 * readable by anyone, so these bound what one key, or one visitor id, can post. A snippet's batch is
 * one visitor's, so a batch naming several anonymous ids is refused rather than counted for each.
 */
async function takeRateLimits(client: AuthenticatedClient, body: unknown): Promise<void> {
  const items = (body as { items?: unknown } | undefined)?.items;
  const visitors = new Set(
    (Array.isArray(items) ? items : [])
      .map((item) => (item as { identifiers?: { anonymousId?: unknown } } | undefined)?.identifiers?.anonymousId)
      .filter((id): id is string => typeof id === 'string'),
  );
  if (visitors.size > 1) {
    throw new ValidationError([{ path: 'items', message: "a public key's batch is one visitor's: every item must carry the same anonymousId" }]);
  }
  const limits = [{ subject: `web-key#${client.clientId}`, limit: config().WEB_KEY_REQUESTS_PER_MINUTE, windowSeconds: 60 }];
  for (const visitor of visitors) {
    // Hashed: the counter must not hold the visitor's id in clear (an erase would not find it).
    const digest = createHash('sha256').update(`${client.clientId}\u0000${visitor}`).digest('hex').slice(0, 32);
    limits.push({ subject: `web-visitor#${digest}`, limit: config().WEB_VISITOR_REQUESTS_PER_MINUTE, windowSeconds: 60 });
  }
  const decisions = await Promise.all(limits.map((limit) => rateLimitStore().take(limit)));
  const refused = decisions.flatMap((decision) => (decision.allowed ? [] : [decision.retryAfterSeconds]));
  if (refused.length > 0) {
    throw new HttpProblemError(
      problem(429, 'rate-limited', 'Too many requests', 'This public key or visitor sent too many requests; retry after Retry-After seconds.'),
      { 'retry-after': String(Math.max(...refused)) },
    );
  }
}
