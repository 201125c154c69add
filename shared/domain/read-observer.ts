/**
 * Told which customer a read is about to fetch, before it fetches it. The read audit
 * (shared/privacy/read-audit.ts) starts that customer's access-log entry then, so that the entry is
 * written alongside the read instead of after it; whether the customer was in the end shown is the
 * route's answer to give.
 */
export interface ReadObserver {
  reading(customerId: string): void;
}
