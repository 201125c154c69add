import type { AuthenticatedClient } from '../auth/client.ts';
import { authenticatePublicKey, corsHeaders, publicKeyParameter } from '../auth/public-key.ts';
import { apiKeyStore } from '../db/privacy-store-instances.ts';
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
  const { client, origin } = await authenticatePublicKey(
    { key: event.queryStringParameters?.[publicKeyParameter], origin: header(event, 'origin') },
    (key) => apiKeyStore().findByKey(key),
  );
  const cors = corsHeaders(origin);
  try {
    if (options.refuseGlobalPrivacyControl && header(event, 'sec-gpc')?.trim() === '1') {
      throw new HttpProblemError(
        problem(403, 'global-privacy-control', 'Forbidden', 'The browser sent Sec-GPC: 1 (Global Privacy Control): nothing was recorded.'),
      );
    }
    const response = await work(client);
    return { ...response, headers: { ...response.headers, ...cors } };
  } catch (error) {
    const { problem: body, headers } = toProblemResponse(error, event.requestContext.requestId);
    return { statusCode: body.status, body, headers: { 'content-type': 'application/problem+json', ...headers, ...cors } };
  }
}
