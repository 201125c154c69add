import { afterAll, beforeAll } from 'vitest';
import { allScopes } from '../../shared/auth/access.ts';
import { startLocalApi } from '../../dev/local-server.ts';
import { defaultTestClientName, defaultTestKey, registerKey } from './credentials.ts';
import { createTestTable } from './dynamodb.ts';
import { type JsonClient, jsonClient } from './json-client.ts';

export interface TestApi {
  url: string;
  client: JsonClient;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** Authorizer cache TTL; the default is the deployed one (60 s). 0 makes a revocation take effect at once. */
  authorizerCacheSeconds?: number;
}

/**
 * This file's table with the test key (every scope) registered, then the local API Gateway adapter
 * in-process on a free port. `client` sends the test key with every request.
 */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  await createTestTable();
  await registerKey(defaultTestKey, defaultTestClientName, allScopes);
  const api = await startLocalApi({ port: 0, ...options });
  return {
    url: api.url,
    client: jsonClient(api.url, { authorization: `Bearer ${defaultTestKey}` }),
    close: () => api.close(),
  };
}

/** The test API for this file: started before its tests, closed after them; requests go through the returned client. */
export function useTestApiClient(options: TestApiOptions = {}): JsonClient {
  let api: TestApi | undefined;
  beforeAll(async () => {
    api = await startTestApi(options);
  });
  afterAll(async () => {
    await api?.close();
  });
  const client = (): JsonClient => {
    if (!api) throw new Error('The test API starts in beforeAll: send requests from tests or hooks.');
    return api.client;
  };
  return {
    get: (path) => client().get(path),
    post: (path, body, headers) => client().post(path, body, headers),
    send: (method, path, init) => client().send(method, path, init),
  };
}
