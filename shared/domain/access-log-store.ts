/** One read of a customer's data: who read it, how, and when. No personal data beyond the partition's customer id. */
export interface AccessLogEntry {
  customerId: string;
  entryId: string;
  at: string;
  clientId: string;
  clientName: string;
  /** What was read: `lookup`, `get-customer`, `timeline`, `export`, ... */
  operation: string;
  /** How the customer was found, for a lookup: the identifier type (never its value). */
  via: string | null;
  requestId: string;
}

export interface AccessLogPage {
  items: AccessLogEntry[];
  nextCursor: string | null;
}

/** The port of the read audit and the access-log route (shared/privacy); shared/db/access-log-store.ts implements it. */
export interface AccessLogStore {
  record(entry: AccessLogEntry): Promise<void>;
  /** Several entries in as few round trips as the store allows. */
  recordMany(entries: AccessLogEntry[]): Promise<void>;
  /** Takes back an entry written ahead of a read that then showed nothing (an unknown customer). */
  remove(entry: AccessLogEntry): Promise<void>;
  /** Newest first, one read per page. */
  list(customerId: string, page: { limit: number; cursor?: string }): Promise<AccessLogPage>;
}
