import { config } from '../config/config.ts';
import type { PendingCallStore } from '../domain/pending-calls.ts';
import { documentClient } from './client.ts';
import { dynamoPendingCallStore } from './pending-call-store.ts';

let store: PendingCallStore | undefined;

/** The CTI webhook's store of calls still being reported: built on first use, reused for the process. */
export function pendingCallStore(): PendingCallStore {
  store ??= dynamoPendingCallStore(documentClient(), config().TABLE_NAME);
  return store;
}
