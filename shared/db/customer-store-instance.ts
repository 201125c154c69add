import { config } from '../config/config.ts';
import type { CustomerStore } from '../domain/customer-store.ts';
import { documentClient } from './client.ts';
import { dynamoCustomerStore } from './dynamo-customer-store.ts';

let store: CustomerStore | undefined;

/** The store the Lambdas (and the local server) use: built on first use, reused for the process. */
export function customerStore(): CustomerStore {
  store ??= dynamoCustomerStore(documentClient(), config().TABLE_NAME);
  return store;
}
