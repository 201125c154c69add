import { customerStore } from '../../db/customer-store-instance.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { fingerprint } from '../../domain/fingerprint.ts';
import { identifierKey } from '../../domain/identifiers.ts';
import { type PreferencesInput, recordPreferences } from '../../domain/manage-customers.ts';
import type { Customer, IdentifierPermissions } from '../../domain/model.ts';
import { getCustomer, lookupCustomer } from '../../domain/read-customers.ts';
import type { PermissionChange } from './notifications.ts';

const noPermissions: IdentifierPermissions = { channels: {}, marketing: null };

function changed(permissions: IdentifierPermissions, change: PermissionChange): IdentifierPermissions {
  return change === 'email-bounced'
    ? { ...permissions, channels: { ...permissions.channels, email: 'opted_out' } }
    : { ...permissions, marketing: 'opted_out' };
}

function alreadyApplied(permissions: IdentifierPermissions, change: PermissionChange): boolean {
  return change === 'email-bounced' ? permissions.channels.email === 'opted_out' : permissions.marketing === 'opted_out';
}

/**
 * The customer's whole statement of preferences with one address's permission changed: the
 * preferences use case records a full statement (what it is not told is cleared), so what the
 * customer said before is carried over as it stands.
 */
function restatement(customer: Customer, address: string, change: PermissionChange): PreferencesInput {
  const target = identifierKey({ type: 'email', value: address });
  const identifiers = customer.identifiers
    .filter((identifier) => identifier.type === 'email' || identifier.type === 'phone')
    .flatMap((identifier) => {
      const key = identifierKey(identifier);
      const stated = customer.identifierPermissions[key];
      if (key === target) return [{ type: identifier.type, value: identifier.value, ...changed(stated ?? noPermissions, change) }];
      return stated ? [{ type: identifier.type, value: identifier.value, ...stated }] : [];
    });
  return {
    channels: customer.preferences?.channels ?? {},
    preferredChannel: customer.preferences?.preferredChannel ?? null,
    quietHours: customer.preferences?.quietHours ?? null,
    identifiers,
    receivedVia: 'email',
    source: 'ses',
  };
}

async function customersKnownBy(address: string): Promise<Customer[]> {
  const store = customerStore();
  try {
    const found = await lookupCustomer(store, { type: 'email', value: address });
    if (found.kind === 'customer') return [found.view.customer];
    // A shared address (a family's, an office's) bounces for every customer who gave it.
    return Promise.all(found.candidates.map(async (candidate) => (await getCustomer(store, candidate.customerId)).customer));
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    throw error;
  }
}

/**
 * Records a hard bounce (the address takes no email) or a complaint (no marketing to it) on each
 * customer known by the address, through the same use case as `POST .../preferences`: the change
 * is on the card's contact permissions, in the contact check and on the timeline. Keyed on SES's
 * feedback id, so a redelivery changes nothing; an address no customer has is nobody's to mark.
 * Answers how many customers it changed.
 */
export async function applyPermissionChange(effect: { key: string; address: string; change: PermissionChange }, receivedAt: Date): Promise<number> {
  let applied = 0;
  for (const customer of await customersKnownBy(effect.address)) {
    const current = customer.identifierPermissions[identifierKey({ type: 'email', value: effect.address })] ?? noPermissions;
    if (alreadyApplied(current, effect.change)) continue;
    await recordPreferences(customerStore(), customer.customerId, restatement(customer, effect.address, effect.change), receivedAt, {
      key: `${effect.key}:${customer.customerId}`,
      requestFingerprint: fingerprint({ key: effect.key, address: effect.address, change: effect.change }),
    });
    applied += 1;
  }
  return applied;
}
