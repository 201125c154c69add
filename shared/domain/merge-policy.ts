import type { Customer } from './model.ts';

/**
 * When may two customers that claim one identifier be merged without a person deciding?
 * Only when it is safe: an anonymous profile (nothing but cookie or device ids) can belong to
 * nobody else, so it always joins the customer it was seen with. Two known customers may be two
 * people sharing a phone or mailbox: they are never merged automatically, only proposed.
 *
 * | this customer | the other customer | what happens                                       |
 * |---------------|--------------------|----------------------------------------------------|
 * | anonymous     | known              | merge the anonymous profile into the known one     |
 * | known         | anonymous          | merge the anonymous profile into the known one     |
 * | anonymous     | anonymous          | merge the other into this one (the stronger match) |
 * | known         | known              | record a merge candidate for staff to review       |
 */
export type ProfileKind = 'anonymous' | 'known';
export type AutomaticAction = 'merge-into-known' | 'merge-into-this' | 'propose';

export const automaticMergePolicy: Record<`${ProfileKind}+${ProfileKind}`, AutomaticAction> = {
  'anonymous+known': 'merge-into-known',
  'known+anonymous': 'merge-into-known',
  'anonymous+anonymous': 'merge-into-this',
  'known+known': 'propose',
};

export function profileKind(customer: Pick<Customer, 'identifiers'>): ProfileKind {
  return customer.identifiers.length > 0 && customer.identifiers.every((identifier) => identifier.type === 'anonymousId') ? 'anonymous' : 'known';
}
