import { type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
// The document as `npm run generate:client` builds it from the schemas and the route table
// (shared/http/openapi.ts), committed and checked by test/client/drift.test.ts. Serving it as
// built keeps zod, zod-openapi and every schema out of this function and its cold start.
import document from '../../clients/typescript/openapi.json' with { type: 'json' };

export async function getOpenApi(): Promise<ApiResponse> {
  return { statusCode: 200, body: document };
}

export const handler = apiHandler(getOpenApi);
