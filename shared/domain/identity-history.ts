import { NotFoundError } from './errors.ts';
import type { IdentityStore, MergeRecord, ProfileRecord } from './identity-store.ts';
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
