/**
 * The 'picket fence': how customers are ranked by value. Each of recency, frequency and monetary
 * value scores 0-4 by the thresholds below; the sum (0-12) picks the first tier whose `minScore`
 * it reaches. Tiers are listed best first. Change the numbers here; the README lists the defaults.
 */
export const valueTierConfig = {
  tiers: [
    { name: 'platinum', minScore: 10 },
    { name: 'gold', minScore: 7 },
    { name: 'silver', minScore: 5 },
    { name: 'bronze', minScore: 0 },
  ],
  /** Days since the last contact: within the first number scores 4, the second 3, ... beyond all 0. */
  recencyDays: [30, 90, 180, 365],
  /** Lifetime touchpoints: reaching the first number scores 1, the second 2, ... */
  frequencyTouchpoints: [3, 10, 25, 50],
  /** Lifetime monetary value (invoice amounts and touchpoint `value`s): reaching the first number scores 1, ... */
  monetaryValue: [100, 1_000, 5_000, 20_000],
} as const;

export type ValueTierConfig = typeof valueTierConfig;
export type TierName = (typeof valueTierConfig.tiers)[number]['name'];
export const tierNames = valueTierConfig.tiers.map((tier) => tier.name) as [TierName, ...TierName[]];
