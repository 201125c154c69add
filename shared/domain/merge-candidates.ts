import { NotFoundError } from './errors.ts';
import type { IdentityStore, MergeCandidate } from './identity-store.ts';
import { persistently } from './retry.ts';
import { identityChange } from './identity-steps.ts';

/** Conflicts the core recorded (two customers claiming one identifier), newest first, for staff to merge or dismiss. */
export function listMergeCandidates(
  store: IdentityStore,
  page: { limit: number; cursor?: string },
): Promise<{ items: MergeCandidate[]; nextCursor: string | null }> {
  return store.listMergeCandidates(page);
}

/** Dismisses the merge candidate naming two customers; dismissing it again answers the same. */
export async function dismissMergeCandidate(store: IdentityStore, candidateId: string): Promise<void> {
  return identityChange(async () => {
    if (!(await persistently(() => store.resolveMergeCandidate(candidateId, 'dismissed')))) {
      throw new NotFoundError(`No merge candidate has the id ${candidateId}.`);
    }
  });
}
