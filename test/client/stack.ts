import { randomInt } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Scope } from '../../shared/auth/scopes.ts';
import { createTouchpointClient, type TouchpointClient, type TouchpointClientOptions } from '../../clients/typescript/src/index.ts';
import { registerKey } from '../helpers/credentials.ts';
import { defaultTestKey } from '../helpers/credentials.ts';
import { startTestApi, type TestApi } from '../helpers/local-api.ts';

export interface ClientStack {
  url(): string;
  /** A client of the local API sending the test key (every scope) unless options say otherwise. */
  client(options?: Partial<TouchpointClientOptions>): TouchpointClient;
  /** Registers a key for a system (its name is the `source` of what it posts) and returns a client sending it. */
  clientFor(name: string, scopes: readonly Scope[], options?: Partial<TouchpointClientOptions>): Promise<TouchpointClient>;
}

/** This file's local API (the handlers `npm start` serves, on this worker's DynamoDB Local), started before its tests. */
export function useClientStack(): ClientStack {
  let api: TestApi | undefined;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });
  const url = () => {
    if (!api) throw new Error('The local API starts in beforeAll: make clients in tests or hooks.');
    return api.url;
  };
  const client = (options: Partial<TouchpointClientOptions> = {}) => createTouchpointClient({ baseUrl: url(), apiKey: defaultTestKey, ...options });
  return {
    url,
    client,
    async clientFor(name, scopes, options = {}) {
      const key = `tpk_${name}-key-${randomInt(1e9, 1e10)}-0000000000000000`;
      await registerKey(key, name, scopes);
      return client({ apiKey: key, ...options });
    },
  };
}

/** A UK mobile number no other test of the file uses (the 745 range is no bench data set's). */
export function uniquePhone(): string {
  return `+44745${String(randomInt(0, 1e7)).padStart(7, '0')}`;
}

export function uniqueEmail(tag = 'client'): string {
  return `${tag}-${randomInt(0, 1e12)}@example.com`;
}
