import { valueTier } from './card.ts';
import type { Channel } from './channels.ts';
import type { CustomerView } from './customer-store.ts';
import { byStrength, identifierKey } from './identifiers.ts';
import type { ContactChannel, Customer, Permission, Touchpoint } from './model.ts';

/** Pages shown on the card. */
export const shownPageCount = 5;

/** Touchpoint channels that tell us how a customer likes to be reached. */
const contactChannelOf: Partial<Record<Channel, ContactChannel>> = {
  call: 'phone',
  email: 'email',
  sms: 'sms',
  letter: 'mail',
};
const contactChannels: ContactChannel[] = ['phone', 'email', 'sms', 'mail'];

/**
 * The card as an agent sees it at `now`, with the pages the customer saw among the touchpoints the
 * read brought (a lookup's recent history, newest first): the newest web visits of those.
 */
export function recognitionCard(view: Pick<CustomerView, 'customer' | 'recent'>, now: Date) {
  return { ...cardView(view.customer, now), recentPages: recentPages(view.recent) };
}

function recentPages(recent: Touchpoint[]) {
  return recent
    .filter((touchpoint) => touchpoint.channel === 'web_visit')
    .slice(0, shownPageCount)
    .map(({ details, occurredAt }) => ({ url: String(details.url), title: typeof details.title === 'string' ? details.title : null, occurredAt }));
}

/**
 * The card without pages (a list of customers, an update's answer, an export that holds every
 * touchpoint): recency, ages and preferred channel are worked out at read time, from stored facts only.
 */
export function cardView(customer: Customer, now: Date) {
  const { card } = customer;
  const { tier, scores } = valueTier(
    { touchpointCount: card.touchpointCount, monetaryTotal: card.monetaryTotal, lastContactAt: card.lastContact?.occurredAt },
    now,
  );
  const openInvoiceQueries = Object.values(card.invoiceQueries)
    .filter((query) => query.status !== 'resolved')
    .sort((a, b) => (a.openedAt < b.openedAt ? -1 : 1))
    .map((query) => ({
      invoiceNumber: query.invoiceNumber,
      queryId: query.queryId,
      status: query.status,
      reason: query.reason,
      amount: query.amount,
      openedAt: query.openedAt,
      ageDays: Math.max(0, Math.floor((now.getTime() - Date.parse(query.openedAt)) / 86_400_000)),
    }));
  return {
    displayName: customer.displayName,
    traits: customer.traits,
    valueTier: { name: tier, scores, monetaryTotal: card.monetaryTotal },
    touchpointCount: card.touchpointCount,
    countsByChannel: card.countsByChannel,
    lastContact: card.lastContact,
    openInvoiceQueries,
    preferredChannel: preferredChannel(customer),
    contactPermissions: contactPermissions(customer),
    freshness: { updatedAt: customer.updatedAt, readAt: now.toISOString() },
  };
}

export type CardView = ReturnType<typeof cardView>;

function preferredChannel(customer: Customer): { channel: ContactChannel; basis: 'stated' | 'inferred' } | null {
  const stated = customer.preferences?.preferredChannel;
  if (stated) return { channel: stated, basis: 'stated' };
  const [mostUsed] = Object.entries(customer.card.countsByChannel)
    .filter(([channel, count]) => count > 0 && contactChannelOf[channel as Channel])
    .sort(([, a], [, b]) => b - a);
  return mostUsed ? { channel: contactChannelOf[mostUsed[0] as Channel] as ContactChannel, basis: 'inferred' } : null;
}

function contactPermissions(customer: Customer) {
  const channels = Object.fromEntries(contactChannels.map((channel) => [channel, customer.preferences?.channels[channel] ?? 'not_stated'])) as Record<
    ContactChannel,
    Permission | 'not_stated'
  >;
  const identifiers = customer.identifiers
    .filter((identifier) => customer.identifierPermissions[identifierKey(identifier)])
    .sort(byStrength)
    .map((identifier) => ({
      type: identifier.type,
      value: identifier.value,
      ...customer.identifierPermissions[identifierKey(identifier)],
    }));
  return { channels, quietHours: customer.preferences?.quietHours ?? null, identifiers };
}
