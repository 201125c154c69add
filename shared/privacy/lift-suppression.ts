import type { PrivacyStore } from '../domain/privacy-store.ts';

/**
 * Touchpoints carrying the identifier are accepted again from now on. Idempotent: afterwards no
 * suppression has this hash, whether this call lifted it or an earlier one did.
 */
export function liftSuppression(store: Pick<PrivacyStore, 'deleteSuppression'>, hash: string): Promise<void> {
  return store.deleteSuppression(hash);
}
