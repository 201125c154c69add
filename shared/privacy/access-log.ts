import type { AccessLogPage, AccessLogStore } from '../domain/access-log-store.ts';
import type { PrivacyStore } from '../domain/privacy-store.ts';
import { NotFoundError } from '../domain/errors.ts';

/**
 * Who read the customer's data, newest first, one Query per page. Reading the log is not itself
 * logged: it shows clients and times, not the customer's data. An erased or unknown customer is not found.
 */
export async function readAccessLog(
  stores: { accessLog: AccessLogStore; privacy: Pick<PrivacyStore, 'readProfile'> },
  customerId: string,
  page: { limit: number; cursor?: string },
): Promise<AccessLogPage> {
  const [entries, profile] = await Promise.all([stores.accessLog.list(customerId, page), stores.privacy.readProfile(customerId)]);
  if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return entries;
}
