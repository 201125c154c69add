import { maxTraits } from '../schemas/customer.ts';
import type { Channel } from '../schemas/touchpoint.ts';
import { type ContactDecision, type ContactPurpose, decideContact } from './contact-policy.ts';
import type { CustomerPage, CustomerStore, ProfileChanges } from './customer-store.ts';
import { NotFoundError, StoreUnavailableError, ValidationError, WriteRejectedError } from './errors.ts';
import { type Identifier, identifierKey } from './identifiers.ts';
import {
  backOff,
  maxAttempts,
  newTouchpointId,
  planCardWrite,
  recordWithExactCardFallback,
} from './ingest-touchpoint.ts';
import type { ContactChannel, ContactPreferences, Customer, IdentifierPermissions, Touchpoint } from './model.ts';

/**
 * Sets display name and traits (a merge patch: null removes). Traits stay bounded in total, not
 * just per request: the write is conditional on the trait count it was checked against.
 */
export async function updateCustomerProfile(store: CustomerStore, customerId: string, changes: ProfileChanges): Promise<Customer> {
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const view = await store.getCustomerView(customerId, 0);
    if (!view || view.mergedInto) throw new NotFoundError(`No customer has the id ${customerId}.`);
    const traitsBefore = Object.keys(view.customer.traits);
    const traitsAfter = new Set(traitsBefore);
    for (const [name, value] of Object.entries(changes.traits ?? {})) {
      if (value === null) traitsAfter.delete(name);
      else traitsAfter.add(name);
    }
    if (traitsAfter.size > maxTraits) {
      throw new ValidationError([
        { path: 'traits', message: `a customer has at most ${maxTraits} traits; this would make ${traitsAfter.size}` },
      ]);
    }
    const customer = await store.updateProfile(customerId, { ...changes, expectedTraitCount: traitsBefore.length });
    if (customer) return customer;
  }
  throw new StoreUnavailableError();
}

export function listCustomersByTier(store: CustomerStore, tier: string, page: { limit: number; cursor?: string }): Promise<CustomerPage> {
  return store.listCustomersByTier(tier, page);
}

export async function checkContact(
  store: CustomerStore,
  customerId: string,
  request: { channel: ContactChannel; at: Date; purpose: ContactPurpose; to?: Identifier },
): Promise<ContactDecision> {
  const view = await store.getCustomerView(customerId, 0);
  return decideContact(view?.customer, request);
}

export interface PreferencesInput {
  channels: Partial<Record<ContactChannel, 'opted_in' | 'opted_out'>>;
  preferredChannel: ContactChannel | null;
  quietHours: ContactPreferences['quietHours'];
  identifiers: Array<Identifier & IdentifierPermissions>;
  receivedVia: Channel;
  source: string;
}

/**
 * Records what the customer told us about being contacted. The change is itself a touchpoint on
 * the timeline (on the channel the customer used), written in the same transaction.
 */
export async function recordPreferences(
  store: CustomerStore,
  customerId: string,
  input: PreferencesInput,
  receivedAt: Date,
): Promise<{ touchpointId: string; preferences: ContactPreferences; changes: string[] }> {
  const touchpointId = newTouchpointId();
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const view = await store.getCustomerView(customerId, 0);
    if (!view) throw new NotFoundError(`No customer has the id ${customerId}.`);
    const { customer } = view;
    const known = new Set(customer.identifiers.map(identifierKey));
    const foreign = input.identifiers.findIndex((identifier) => !known.has(identifierKey(identifier)));
    if (foreign !== -1) {
      throw new ValidationError([{ path: `identifiers.${foreign}.value`, message: 'is not an identifier of this customer' }]);
    }

    const preferences: ContactPreferences = {
      channels: input.channels,
      preferredChannel: input.preferredChannel,
      quietHours: input.quietHours,
      updatedAt: receivedAt.toISOString(),
    };
    const identifierPermissions = Object.fromEntries(
      input.identifiers.map(({ type, value, channels, marketing }) => [identifierKey({ type, value }), { channels, marketing }]),
    );
    const changes = describeChanges(customer, preferences, identifierPermissions);
    const touchpoint: Touchpoint = {
      touchpointId,
      customerId,
      channel: input.receivedVia,
      occurredAt: receivedAt.toISOString(),
      receivedAt: receivedAt.toISOString(),
      source: input.source,
      identifiers: { customerId },
      summary: `Contact preferences: ${changes.length ? changes.join('; ') : 'confirmed unchanged'}`,
      details: { kind: 'contact_preferences', changes },
    };
    const cardWrite = await planCardWrite(store, touchpoint, false, receivedAt);
    if (!cardWrite) throw new NotFoundError(`No customer has the id ${customerId}.`);
    try {
      await recordWithExactCardFallback(
        store,
        { touchpoint, customer: cardWrite, attach: [], mergeCandidates: [], profileChanges: { preferences, identifierPermissions } },
        receivedAt,
      );
      return { touchpointId, preferences, changes };
    } catch (error) {
      if (!(error instanceof WriteRejectedError)) throw error;
      if (error.reason === 'contention') await backOff(attempt);
    }
  }
  throw new StoreUnavailableError();
}

function describeChanges(
  customer: Customer,
  next: ContactPreferences,
  identifierPermissions: Record<string, IdentifierPermissions>,
): string[] {
  const before = customer.preferences;
  const changes: string[] = [];
  const channelNames = new Set([...Object.keys(before?.channels ?? {}), ...Object.keys(next.channels)]) as Set<ContactChannel>;
  for (const channel of channelNames) {
    const was = before?.channels[channel] ?? 'not stated';
    const now = next.channels[channel] ?? 'not stated';
    if (was !== now) changes.push(`${channel} ${was} -> ${now}`);
  }
  if ((before?.preferredChannel ?? null) !== next.preferredChannel) {
    changes.push(`preferred channel ${before?.preferredChannel ?? 'none'} -> ${next.preferredChannel ?? 'none'}`);
  }
  const quiet = (hours: ContactPreferences['quietHours'] | undefined) =>
    hours ? `${hours.start}-${hours.end} ${hours.timeZone}` : 'none';
  if (quiet(before?.quietHours) !== quiet(next.quietHours)) {
    changes.push(`quiet hours ${quiet(before?.quietHours)} -> ${quiet(next.quietHours)}`);
  }
  const keys = new Set([...Object.keys(customer.identifierPermissions), ...Object.keys(identifierPermissions)]);
  for (const key of keys) {
    if (JSON.stringify(customer.identifierPermissions[key] ?? null) !== JSON.stringify(identifierPermissions[key] ?? null)) {
      // The identifier is named by type only: summaries are free text and must not spread personal data.
      changes.push(`permissions of a ${key.split('#')[0]} identifier changed`);
    }
  }
  return changes;
}
