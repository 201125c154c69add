import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { type ContactChannel, type ContactDecision, type CustomerView, contactChannels } from './api.ts';
import { channelName, days, money, when } from './format.ts';

const reasonText: Record<ContactDecision['reasons'][number], string> = {
  unknown_customer: 'unknown customer',
  not_customer_identifier: 'not this customer’s identifier',
  opted_out: 'opted out',
  identifier_opted_out: 'opted out on this identifier',
  no_marketing_consent: 'no marketing consent',
  quiet_hours: 'quiet hours now',
};

const contactChannelNames: Record<ContactChannel, string> = { phone: 'phone', email: 'email', sms: 'SMS', mail: 'mail' };

/**
 * The contact check of each channel, refusals first and loud: every channel refused is a
 * "do not contact"; quiet hours say until when.
 */
export function ContactBanner({ decisions, view }: { decisions: ContactDecision[] | undefined; view: CustomerView }) {
  if (!decisions) return <p class="banner pending">Checking whether the customer may be contacted…</p>;
  const refused = decisions.filter((decision) => !decision.allowed);
  if (refused.length === 0) return <p class="banner ok">May be contacted on every channel now.</p>;
  const quiet = view.card.contactPermissions.quietHours;
  const everyChannel = refused.length === contactChannels.length && refused.every((decision) => !decision.reasons.includes('quiet_hours'));
  return (
    <div class="banner stop" role="alert" aria-label="Contact restrictions">
      <strong>
        {everyChannel ? 'Do not contact' : refused.some((decision) => decision.reasons.includes('quiet_hours')) ? 'Quiet hours' : 'Contact restricted'}
      </strong>
      <ul>
        {refused.map((decision) => (
          <li key={decision.channel}>
            Not by {contactChannelNames[decision.channel]}: {decision.reasons.map((reason) => reasonText[reason]).join(', ')}
            {decision.reasons.includes('quiet_hours') && quiet ? ` (${quiet.start}–${quiet.end}, ${quiet.timeZone})` : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The recognition card: what the agent needs while the phone rings, at a glance. */
export function RecognitionCard({ view }: { view: CustomerView }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { card, customer } = view;
  useEffect(() => {
    heading.current?.focus();
  }, [customer.customerId]);
  return (
    <section class="card" aria-labelledby="card-name" data-customer-id={customer.customerId}>
      <h2 id="card-name" ref={heading} tabIndex={-1}>
        {card.displayName ?? 'Name not known'}
        <span class={`tier tier-${card.valueTier.name}`} data-testid="tier">
          {card.valueTier.name}
        </span>
      </h2>
      <p class="muted">
        {customer.customerId} · {card.touchpointCount} touchpoints
      </p>
      <dl class="facts">
        <div>
          <dt>Last contact</dt>
          <dd data-testid="last-contact">
            {card.lastContact
              ? `${channelName(card.lastContact.channel)}, ${when(card.lastContact.occurredAt)}${card.lastContact.summary ? `: ${card.lastContact.summary}` : ''}`
              : 'None yet'}
          </dd>
        </div>
        <div>
          <dt>Preferred channel</dt>
          <dd data-testid="preferred-channel">{card.preferredChannel ? `${card.preferredChannel.channel} (${card.preferredChannel.basis})` : 'Not known'}</dd>
        </div>
        <div>
          <dt>Open invoice queries</dt>
          <dd>
            <FactList
              items={card.openInvoiceQueries}
              testId="open-queries"
              keyOf={(query) => query.queryId ?? query.invoiceNumber}
              render={(query) => (
                <>
                  {query.invoiceNumber}: {money(query.amount)}, open {days(query.ageDays)}
                  {query.reason ? ` (${query.reason})` : ''}
                </>
              )}
            />
          </dd>
        </div>
        <div>
          <dt>Last pages visited</dt>
          <dd>
            <FactList
              items={card.recentPages}
              testId="recent-pages"
              keyOf={(page) => `${page.url}${page.occurredAt}`}
              render={(page) => (
                <>
                  {page.title ?? page.url} <span class="muted">({when(page.occurredAt)})</span>
                </>
              )}
            />
          </dd>
        </div>
      </dl>
    </section>
  );
}

/** A fact of the card that is a list: "None" when it is empty, else one entry a line. */
function FactList<Entry>({
  items,
  testId,
  keyOf,
  render,
}: {
  items: readonly Entry[];
  testId: string;
  keyOf: (entry: Entry) => string;
  render: (entry: Entry) => ComponentChildren;
}) {
  if (items.length === 0) return <>None</>;
  return (
    <ul data-testid={testId}>
      {items.map((entry) => (
        <li key={keyOf(entry)}>{render(entry)}</li>
      ))}
    </ul>
  );
}
