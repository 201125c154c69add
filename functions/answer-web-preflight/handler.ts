import { type ApiEvent, type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { webPreflightHeaders, webRequest } from '../../shared/http/web-request.ts';

/** A preflight names no credential but the URL's public key: answered for that key's origins only, else refused without CORS headers. */
export async function answerWebPreflight(event: ApiEvent): Promise<ApiResponse> {
  return webRequest(event, { refuseGlobalPrivacyControl: false }, async () => ({ statusCode: 204, headers: webPreflightHeaders }));
}

export const handler = apiHandler(answerWebPreflight, { takesQuery: true });
