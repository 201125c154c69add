import { startLocalApi } from '../../shared/http/local-server.ts';
import { createTestTable } from './dynamodb.ts';
import { type JsonClient, jsonClient } from './json-client.ts';

export interface TestApi {
  url: string;
  client: JsonClient;
  close(): Promise<void>;
}

/** This file's table, then the local API Gateway adapter in-process on a free port. */
export async function startTestApi(): Promise<TestApi> {
  await createTestTable();
  const api = await startLocalApi({ port: 0 });
  return { url: api.url, client: jsonClient(api.url), close: () => api.close() };
}
