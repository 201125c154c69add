import { config } from '../config/config.ts';
import type { TouchpointStore } from '../domain/customer-store.ts';
import type { IdentityStore } from '../domain/identity-store.ts';
import { documentClient } from './client.ts';
import { dynamoCustomerStore } from './dynamo-customer-store.ts';
import { dynamoIdentityStore } from './dynamo-identity-store.ts';

let store: (TouchpointStore & IdentityStore) | undefined;

/** The store the Lambdas (and the local server) use: built on first use, reused for the process. */
export function customerStore(): TouchpointStore & IdentityStore {
  store ??= {
    ...dynamoCustomerStore(documentClient(), config().TABLE_NAME),
    ...dynamoIdentityStore(documentClient(), config().TABLE_NAME),
  };
  return store;
}
