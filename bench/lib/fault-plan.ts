/**
 * The work of a fault run, from a seed: new customers, each with a sign-up (sometimes posted by
 * two systems at the same moment with different keys: the first-contact race) and follow-ups on
 * the channels of the mixed traffic, shuffled so customers' requests interleave.
 */
import { seededRandom } from '../../shared/db/fault-injection.ts';
import type { Channel } from '../../shared/schemas/touchpoint.ts';
import { identityOf, mixedTrafficWeights, pickWeighted, signUpFor, touchpointFor } from './data-set.ts';
import type { PlannedRequest } from './retrying-client.ts';

export interface FaultPlanOptions {
  customers: number;
  /** Follow-up touchpoints per customer after the sign-up. */
  followUps: number;
  /** Share of customers whose sign-up is posted twice at once (different keys, same new identifiers). */
  raceShare: number;
  seed: number;
  phoneRange: string;
  /** Keeps identifiers and keys of different runs apart. */
  tag: string;
}

export const faultRunSummaryPrefix = 'fault-run ';

export function planFaultRequests(options: FaultPlanOptions): PlannedRequest[] {
  const random = seededRandom(options.seed);
  // Units of work to shuffle: a racing sign-up pair stays adjacent, so two clients send it together.
  const units: PlannedRequest[][] = [];
  let serial = 0;
  const planned = (body: PlannedRequest['body']): PlannedRequest => {
    const id = `${options.tag}-${(serial++).toString(36)}`;
    return { id, idempotencyKey: `fault-${id}`, body: { ...body, summary: `${faultRunSummaryPrefix}${id}` } };
  };
  for (let index = 0; index < options.customers; index += 1) {
    const customer = identityOf(index, options.phoneRange, `f${options.tag}-`);
    const copies = random() < options.raceShare ? 2 : 1;
    units.push(Array.from({ length: copies }, (_, copy) => planned(signUpFor(customer, { random, serial: `${options.tag}-${index}-${copy}` }))));
    for (let followUp = 0; followUp < options.followUps; followUp += 1) {
      const channel: Channel = pickWeighted(random, mixedTrafficWeights);
      const body = touchpointFor(customer, channel, { random, serial: `${options.tag}-${index}-f${followUp}` });
      units.push([planned(body)]);
    }
  }
  // Fisher-Yates with the seeded source, so every run posts in the same order.
  for (let index = units.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [units[index], units[other]] = [units[other] as PlannedRequest[], units[index] as PlannedRequest[]];
  }
  return units.flat();
}
