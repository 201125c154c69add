import { NotFoundError } from './errors.ts';
import type { IdentifierState, IdentityStore, MergeRecord, ProfileRecord } from './identity-store.ts';
import { persistently } from './retry.ts';

export async function listIdentifiers(store: IdentityStore, customerId: string): Promise<ProfileRecord> {
  const profile = await persistently(() => store.readProfile(customerId));
  if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return profile;
}

export async function listMerges(store: IdentityStore, customerId: string): Promise<MergeRecord[]> {
  const profile = await store.readProfile(customerId);
  if (!profile) throw new NotFoundError(`No customer has the id ${customerId}.`);
  return store.listMergeRecords(customerId);
}

/**
 * Customers a merge's identifier states name besides its two parties: holders of an identifier
 * the source shared with them. The record is theirs to be found by an erase, not their history.
 */
export function holdersBesidesParties(record: Pick<MergeRecord, 'sourceCustomerId' | 'targetCustomerId'>, states: IdentifierState[]): string[] {
  const named = states.flatMap(({ before, after }) => [before.customerId, ...before.sharedWith, after.customerId, ...after.sharedWith]);
  return [...new Set(named)].filter((customerId) => customerId !== record.sourceCustomerId && customerId !== record.targetCustomerId);
}
