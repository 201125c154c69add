/**
 * Bounds that keep a customer's profile item under DynamoDB's 400 KB item limit whatever clients
 * send. The profile holds the customer's identifiers, card and what the customer told us; each list
 * on it is bounded here or beside the rule that fills it (card.ts: pages, late contacts, invoice
 * queries; schemas/customer.ts: traits, display name). Worst cases, at 3 bytes a character:
 * identifiers 64 x 1.7 KB, invoice queries 40 x 2.6 KB, traits 50 x 1.6 KB, pages 10 x 3.7 KB,
 * late contacts 10 x 1.6 KB, identifier permissions 64 x 0.4 KB: about 370 KB, with room to spare.
 */

/**
 * Identifiers one customer holds at most (typically a handful: a phone or two, emails, an account,
 * the cookies of the devices it used). A touchpoint carrying new ones past it is still recorded,
 * on the customer its identifiers name, without attaching them (a website posting a new cookie
 * with every visit of a signed-in customer keeps working); a link past it is a 422, a merge past it a 409.
 */
export const maxIdentifiersPerCustomer = 64;

/**
 * Free-form traits are bounded: flat, scalar values, at most 50 keys of at most 500 characters
 * each, so that the traits of one customer stay under about 80 KB of its profile item whatever
 * races between patches. A null removes a trait.
 */
export const maxTraits = 50;
export const maxTraitValueLength = 500;
