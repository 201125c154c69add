import { type ApiResponse, apiHandler } from '../../shared/http/api-handler.ts';

export async function checkHealth(): Promise<ApiResponse> {
  return { statusCode: 200, body: { status: 'ok' } };
}

export const handler = apiHandler(checkHealth);
