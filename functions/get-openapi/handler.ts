import { type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';
import { openApiDocument } from '../../shared/http/openapi.ts';

export async function getOpenApi(): Promise<ApiResponse> {
  return { statusCode: 200, body: openApiDocument() };
}

export const handler = apiHandler(getOpenApi);
