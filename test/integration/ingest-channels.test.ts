import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../helpers/dynamodb.ts';
import { getCustomer, getTimeline, postTouchpoint, recordTouchpoint } from '../helpers/handlers.ts';
import { allChannels, minutesAgo, touchpointBody, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

const customerIdPattern = /^cus_[0-9A-HJKMNP-TV-Z]{26}$/;
const touchpointIdPattern = /^tp_[0-9A-HJKMNP-TV-Z]{26}$/;

beforeAll(async () => {
  await createTestTable();
});

describe('ingesting a touchpoint', () => {
  it('answers 201 with the new touchpoint and customer ids when every identifier is new', async () => {
    const response = await postTouchpoint(touchpointBody());

    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      touchpointId: expect.stringMatching(touchpointIdPattern),
      customerId: expect.stringMatching(customerIdPattern),
      customerCreated: true,
      replayed: false,
    });
  });

  it.each(allChannels)('stores a %s touchpoint and reads it back with every field', async (channel) => {
    const phone = uniquePhone();
    const email = uniqueEmail();
    const occurredAt = '2026-11-20T09:15:00+01:00';
    const body = touchpointBody({
      channel,
      identifiers: { phone: phone.internationalWithTrunkZero, email: `  ${email.toUpperCase()} ` },
      occurredAt,
      source: `${channel}-system`,
      summary: `A ${channel} about a refund`,
    });
    const before = Date.now();

    const created = await recordTouchpoint(body);
    const timeline = await getTimeline(created.customerId);

    const after = Date.now();
    expect(timeline.status).toBe(200);
    expect(timeline.body.items).toHaveLength(1);
    const touchpoint = timeline.body.items[0];
    expect(touchpoint).toMatchObject({
      touchpointId: created.touchpointId,
      customerId: created.customerId,
      channel,
      occurredAt: '2026-11-20T08:15:00.000Z',
      source: `${channel}-system`,
      identifiers: { phone: phone.e164, email },
      summary: `A ${channel} about a refund`,
      details: body.details,
    });
    expect(Date.parse(touchpoint.receivedAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(touchpoint.receivedAt)).toBeLessThanOrEqual(after + 1);
    expect(new Date(touchpoint.receivedAt).toISOString()).toBe(touchpoint.receivedAt);
  });

  it.each(allChannels)('counts a %s touchpoint in the customer summary as its last contact', async (channel) => {
    const created = await recordTouchpoint(touchpointBody({ channel, summary: `Last ${channel}` }));

    const response = await getCustomer(created.customerId);

    expect(response.status).toBe(200);
    expect(response.body.summary).toMatchObject({
      touchpointCount: 1,
      countsByChannel: { [channel]: 1 },
      lastContact: { touchpointId: created.touchpointId, channel, summary: `Last ${channel}` },
    });
  });

  it('reads back a touchpoint posted without a summary with summary null', async () => {
    const { summary: _summary, ...body } = touchpointBody();

    const created = await recordTouchpoint(body);
    const timeline = await getTimeline(created.customerId);

    expect(timeline.body.items[0]).toMatchObject({ touchpointId: created.touchpointId, summary: null });
  });

  it('dates a touchpoint posted without occurredAt at the moment it was received', async () => {
    const { occurredAt: _occurredAt, ...body } = touchpointBody();

    const created = await recordTouchpoint(body);
    const timeline = await getTimeline(created.customerId);

    const [touchpoint] = timeline.body.items;
    expect(touchpoint.occurredAt).toBe(touchpoint.receivedAt);
  });

  it('accepts an occurredAt up to 5 minutes in the future, for clocks that run fast', async () => {
    const occurredAt = new Date(Date.now() + 4 * 60_000).toISOString();

    const response = await postTouchpoint(touchpointBody({ occurredAt }));

    expect(response.status).toBe(201);
  });

  it('reads back the details of a channel with the phone numbers in them normalised', async () => {
    const body = touchpointBody({ channel: 'sms', details: { direction: 'inbound', from: '07911 123456', to: '020 7946 0999' } });

    const created = await recordTouchpoint(body);
    const timeline = await getTimeline(created.customerId);

    expect(timeline.body.items[0].details).toMatchObject({ from: '+447911123456', to: '+442079460999' });
  });

  it('stores an old occurredAt as given, converted to UTC', async () => {
    const occurredAt = minutesAgo(60 * 24 * 400);

    const created = await recordTouchpoint(touchpointBody({ occurredAt }));
    const timeline = await getTimeline(created.customerId);

    expect(timeline.body.items[0].occurredAt).toBe(new Date(occurredAt).toISOString());
  });
});
