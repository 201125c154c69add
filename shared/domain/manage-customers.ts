import { maxTraits } from './bounds.ts';
import type { Channel } from './channels.ts';
import { type ContactDecision, type ContactPurpose, decideContact } from './contact-policy.ts';
import type { CustomerPage, CustomerStore, IdempotencyRecord, ProfileChanges } from './customer-store.ts';
import { IdempotencyConflictError, NotFoundError, StoreUnavailableError, ValidationError } from './errors.ts';
import { WriteRejectedError } from './write-rejection.ts';
import { type Identifier, identifierKey } from './identifiers.ts';
import { newRequestId, newTouchpointId, touchpointIdFor } from './ids.ts';
import { planCardWrite, recordWithExactCardFallback } from './ingest-touchpoint.ts';
import { backOff, maxAttempts } from './retry.ts';
import type { ContactChannel, ContactPreferences, Customer, IdentifierPermissions, Touchpoint } from './model.ts';

/**
 * Sets display name and traits (a merge patch: null removes). Traits stay bounded in total, not
 * just per request: a write adding names is conditional on there being room for them when it lands.
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
      throw new ValidationError([{ path: 'traits', message: `a customer has at most ${maxTraits} traits; this would make ${traitsAfter.size}` }]);
    }
    // New names must fit under the bound whatever other writes added meanwhile; changes to names already there need no guard.
    const newNames = [...traitsAfter].filter((name) => !traitsBefore.includes(name)).length;
    const customer = await store.updateProfile(customerId, { ...changes, ...(newNames > 0 ? { maxTraitsBefore: maxTraits - newNames } : {}) });
    if (customer) return customer;
    await backOff(attempt);
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

export interface PreferencesReceipt {
  /** The customer recorded on: the one asked for, or its survivor if it was merged away. */
  customerId: string;
  touchpointId: string;
  preferences: ContactPreferences;
  changes: string[];
}

/**
 * Records what the customer told us about being contacted. The change is itself a touchpoint on
 * the timeline (on the channel the customer used), written in the same transaction, with the
 * idempotency record when the client sent a key: a retry of a change that committed answers
 * what the first try answered, and records nothing more. A merged-away id records on its survivor.
 */
export async function recordPreferences(
  store: CustomerStore,
  customerId: string,
  input: PreferencesInput,
  receivedAt: Date,
  idempotency?: { key: string; requestFingerprint: string },
): Promise<PreferencesReceipt> {
  const ref = idempotency ? { scope: input.source, key: idempotency.key } : undefined;
  const touchpointId = ref ? touchpointIdFor(ref) : newTouchpointId();
  const requestId = newRequestId();
  let target = customerId;
  let checkIdempotency = ref !== undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    if (ref && idempotency && checkIdempotency) {
      const read = await store.readForIngest({ identifiers: [], idempotency: ref });
      if (read.idempotency) return replayPreferences(read.idempotency, idempotency.requestFingerprint);
      checkIdempotency = false;
    }
    const view = await store.getCustomerView(target, 0);
    if (!view) throw new NotFoundError(`No customer has the id ${customerId}.`);
    if (view.mergedInto) {
      target = view.mergedInto;
      continue;
    }
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
      customerId: target,
      channel: input.receivedVia,
      occurredAt: receivedAt.toISOString(),
      receivedAt: receivedAt.toISOString(),
      source: input.source,
      identifiers: { customerId: target },
      summary: `Contact preferences: ${changes.length ? changes.join('; ') : 'confirmed unchanged'}`,
      details: { kind: 'contact_preferences', changes },
    };
    const cardWrite = await planCardWrite(store, touchpoint, false, receivedAt);
    if (!cardWrite) continue;
    const receipt: PreferencesReceipt = { customerId: target, touchpointId, preferences, changes };
    try {
      await recordWithExactCardFallback(
        store,
        {
          touchpoint,
          customer: cardWrite,
          attach: [],
          mergeCandidates: [],
          profileChanges: { preferences, identifierPermissions },
          ...(ref && idempotency
            ? { idempotency: { ...ref, requestFingerprint: idempotency.requestFingerprint, requestId, result: { ...receipt, customerCreated: false } } }
            : {}),
        },
        receivedAt,
      );
      return receipt;
    } catch (error) {
      if (!(error instanceof WriteRejectedError)) throw error;
      if (error.reason === 'customer-merged' && error.mergedInto) target = error.mergedInto;
      // A concurrent try with the same key got there first: its answer is this one's.
      if (error.reason === 'idempotency-key-used') checkIdempotency = true;
      if (error.reason === 'contention') await backOff(attempt);
    }
  }
  throw new StoreUnavailableError();
}

function replayPreferences(record: IdempotencyRecord, requestFingerprint: string): PreferencesReceipt {
  const { result } = record;
  if (record.requestFingerprint !== requestFingerprint || !result.preferences || !result.changes) {
    throw new IdempotencyConflictError('This Idempotency-Key was already used for a different request; use a new key for new content.');
  }
  return { customerId: result.customerId, touchpointId: result.touchpointId, preferences: result.preferences, changes: result.changes };
}

function describeChanges(customer: Customer, next: ContactPreferences, identifierPermissions: Record<string, IdentifierPermissions>): string[] {
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
  const quiet = (hours: ContactPreferences['quietHours'] | undefined) => (hours ? `${hours.start}-${hours.end} ${hours.timeZone}` : 'none');
  if (quiet(before?.quietHours) !== quiet(next.quietHours)) {
    changes.push(`quiet hours ${quiet(before?.quietHours)} -> ${quiet(next.quietHours)}`);
  }
  const keys = new Set([...Object.keys(customer.identifierPermissions), ...Object.keys(identifierPermissions)]);
  for (const key of keys) {
    if (JSON.stringify(customer.identifierPermissions[key] ?? null) !== JSON.stringify(identifierPermissions[key] ?? null)) {
      // The identifier is named by type only: summaries are free text and must not spread personal data.
      const type = key.split('#')[0] ?? '';
      changes.push(`permissions of ${/^[aeiou]/i.test(type) ? 'an' : 'a'} ${type} identifier changed`);
    }
  }
  return changes;
}
