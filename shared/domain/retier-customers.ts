import { tierNames, type ValueTierConfig, valueTierConfig } from './value-tiers.ts';
import { valueTier } from './card.ts';
import type { CustomerStore } from './customer-store.ts';

const dayMs = 86_400_000;
const pageSize = 100;

export interface RetieringReport {
  /** Customers whose last contact crossed a recency threshold within the lookback. */
  examined: number;
  /** Those filed under another tier now. */
  retiered: number;
  /** Those whose card changed while the sweep ran: their writer recomputed the tier. */
  skipped: number;
}

/**
 * The tier index holds each customer's tier as of their last touchpoint, but recency keeps
 * falling while a customer stays quiet. Only customers whose last contact crossed one of the
 * recency thresholds since the previous sweep can have a different tier now, so the sweep reads
 * exactly those: for each threshold and tier, the index slice of last contacts between
 * `threshold + lookback` and `threshold` ago. Run it at least once per lookback (the stack runs it
 * daily with two days of lookback); a longer lookback catches up after an outage, and overlapping
 * sweeps are harmless.
 */
export async function retierCustomers(
  store: Pick<CustomerStore, 'listCustomersByTier' | 'storeTier'>,
  now: Date,
  lookbackDays: number,
  config: ValueTierConfig = valueTierConfig,
): Promise<RetieringReport> {
  const report: RetieringReport = { examined: 0, retiered: 0, skipped: 0 };
  for (const thresholdDays of config.recencyDays) {
    const crossedAt = now.getTime() - thresholdDays * dayMs;
    const lastContactBetween = {
      from: new Date(crossedAt - lookbackDays * dayMs).toISOString(),
      to: new Date(crossedAt).toISOString(),
    };
    // Lowest tier first: recency only falls, so a customer moves down into a tier already swept, never read twice.
    for (const tier of [...tierNames].reverse()) {
      let cursor: string | undefined;
      do {
        const page = await store.listCustomersByTier(tier, { limit: pageSize, lastContactBetween, ...(cursor ? { cursor } : {}) });
        for (const { customerId, card } of page.items) {
          report.examined += 1;
          const current = valueTier(
            { touchpointCount: card.touchpointCount, monetaryTotal: card.monetaryTotal, lastContactAt: card.lastContact?.occurredAt },
            now,
            config,
          );
          // Same tier: nothing to refile. The stored recency score may be stale then, but the fast
          // path only keeps a tier when the new touchpoint makes recency the top score again.
          if (current.tier === card.tier) continue;
          const stored = await store.storeTier(customerId, card.version, { tier: current.tier, tierRecency: current.scores.recency });
          report[stored ? 'retiered' : 'skipped'] += 1;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
  }
  return report;
}
