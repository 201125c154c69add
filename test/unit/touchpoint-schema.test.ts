import { describe, expect, it } from 'vitest';
import { batchInputSchema, touchpointInputSchema } from '../../shared/schemas/touchpoint.ts';
import { allChannels, detailsByChannel, touchpointBody } from '../fixtures/touchpoints.ts';

function issuePaths(input: unknown): string[] {
  const result = touchpointInputSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

describe('touchpoint input schema', () => {
  it.each(allChannels)('accepts a %s touchpoint with its full details and keeps them all', (channel) => {
    const body = touchpointBody({ channel, identifiers: { phone: '020 7946 0018' } });

    const result = touchpointInputSchema.safeParse(body);

    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.data?.details).toEqual(body.details);
  });

  it('normalises the phone numbers in sms details', () => {
    const details = { direction: 'inbound', from: '07911 123456', to: '+44 (0)20 7946 0999' };

    const parsed = touchpointInputSchema.parse(touchpointBody({ channel: 'sms', details }));

    expect(parsed.details).toMatchObject({ from: '+447911123456', to: '+442079460999' });
  });

  it.each([
    ['call', { direction: 'inbound', durationSeconds: 0 }],
    ['email', { direction: 'outbound', messageId: 'm-1', subject: '', from: 'a@example.com', to: ['b@example.com'] }],
    ['invoice_query', { invoiceNumber: 'INV-1', status: 'resolved' }],
    ['web_visit', { url: 'http://example.org/' }],
    ['letter', {}],
    ['chat', {}],
    ['sms', {}],
    ['in_person', {}],
  ] as const)('accepts a %s touchpoint with only the required details', (channel, details) => {
    const result = touchpointInputSchema.safeParse(touchpointBody({ channel, details }));

    expect(result.error?.issues ?? []).toEqual([]);
  });

  it.each([
    ['call', { direction: 'inbound' }, 'details.durationSeconds'],
    ['call', { direction: 'sideways', durationSeconds: 10 }, 'details.direction'],
    ['call', { direction: 'inbound', durationSeconds: -1 }, 'details.durationSeconds'],
    ['call', { direction: 'inbound', durationSeconds: 1.5 }, 'details.durationSeconds'],
    ['call', { direction: 'inbound', durationSeconds: 10, outcome: 'hung-up' }, 'details.outcome'],
    ['email', { direction: 'inbound', subject: 'Hi', from: 'a@example.com', to: ['b@example.com'] }, 'details.messageId'],
    ['email', { direction: 'inbound', messageId: 'm', subject: 'Hi', from: 'not-an-email', to: ['b@example.com'] }, 'details.from'],
    ['email', { direction: 'inbound', messageId: 'm', subject: 'Hi', from: 'a@example.com', to: [] }, 'details.to'],
    ['invoice_query', { status: 'open' }, 'details.invoiceNumber'],
    ['invoice_query', { invoiceNumber: 'INV-1', status: 'closed' }, 'details.status'],
    ['invoice_query', { invoiceNumber: 'INV-1', status: 'open', amount: { value: 10, currency: 'pounds' } }, 'details.amount.currency'],
    ['web_visit', {}, 'details.url'],
    ['web_visit', { url: 'javascript:alert(1)' }, 'details.url'],
    ['letter', { direction: 'upwards' }, 'details.direction'],
    ['chat', { messageCount: -3 }, 'details.messageCount'],
    ['sms', { to: 'not a phone' }, 'details.to'],
    ['in_person', { durationMinutes: 'twenty' }, 'details.durationMinutes'],
  ] as const)('rejects %s details %j at %s', (channel, details, path) => {
    expect(issuePaths(touchpointBody({ channel, details }))).toContain(path);
  });

  it.each(allChannels)('rejects a %s touchpoint with a detail field of another channel', (channel) => {
    const details = { ...detailsByChannel[channel], definitelyNotAField: true };

    expect(issuePaths(touchpointBody({ channel, details }))).not.toEqual([]);
  });

  it('rejects a touchpoint whose details belong to another channel', () => {
    expect(issuePaths(touchpointBody({ channel: 'web_visit', details: { ...detailsByChannel.call } }))).not.toEqual([]);
  });

  it('rejects a channel it does not know', () => {
    expect(issuePaths({ ...touchpointBody(), channel: 'fax' })).toContain('channel');
  });

  it('rejects a touchpoint without identifiers', () => {
    expect(issuePaths({ ...touchpointBody(), identifiers: {} })).toContain('identifiers');
  });

  it('rejects a touchpoint without a source', () => {
    const { source: _source, ...withoutSource } = touchpointBody();

    expect(issuePaths(withoutSource)).toContain('source');
  });

  it('names the bad identifier in the path of the problem', () => {
    expect(issuePaths(touchpointBody({ identifiers: { phone: '12' } }))).toEqual(['identifiers.phone']);
  });

  it.each(['2026-11-23T09:15:00Z', '2026-11-23T09:15:00+01:00', '2026-11-23T09:15:00.123-05:00'])('accepts occurredAt %s with a UTC offset', (occurredAt) => {
    expect(issuePaths(touchpointBody({ occurredAt }))).toEqual([]);
  });

  it.each(['2026-11-23T09:15:00', '2026-11-23', '23/11/2026 09:15', 'yesterday'])('rejects occurredAt %s without an offset', (occurredAt) => {
    expect(issuePaths(touchpointBody({ occurredAt }))).toEqual(['occurredAt']);
  });

  it('accepts a touchpoint without occurredAt', () => {
    const { occurredAt: _occurredAt, ...body } = touchpointBody();

    expect(touchpointInputSchema.safeParse(body).success).toBe(true);
  });

  it('normalises the identifiers it parses', () => {
    const parsed = touchpointInputSchema.parse(touchpointBody({ identifiers: { phone: '+44 (0)20 7946 0018', email: ' Ada@Example.COM' } }));

    expect(parsed.identifiers).toEqual({ phone: '+442079460018', email: 'ada@example.com' });
  });
});

describe('batch input schema', () => {
  it('accepts 100 items', () => {
    expect(batchInputSchema.safeParse({ items: Array.from({ length: 100 }, () => ({})) }).success).toBe(true);
  });

  it('rejects more than 100 items', () => {
    expect(batchInputSchema.safeParse({ items: Array.from({ length: 101 }, () => ({})) }).success).toBe(false);
  });

  it('rejects an empty batch', () => {
    expect(batchInputSchema.safeParse({ items: [] }).success).toBe(false);
  });
});
