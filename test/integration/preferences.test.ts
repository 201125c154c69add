import { beforeAll, describe, expect, it } from 'vitest';
import { contactCheck } from '../helpers/contact-check.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { putPreferences, recordTouchpoint, wholeTimeline } from '../helpers/handlers.ts';
import { touchpointBody, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

/** A customer id of the right shape that no customer has. */
const unknownCustomerId = 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB';

/** A customer known by a fresh phone number and email address. */
async function newCustomer() {
  const phone = uniquePhone();
  const email = uniqueEmail();
  const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164, email } }));
  return { customerId, phone, email };
}

describe('PUT preferences', () => {
  it('records the preferences and returns what changed', async () => {
    const { customerId } = await newCustomer();
    const quietHours = { start: '21:00', end: '08:00', timeZone: 'Europe/London' };

    const response = await putPreferences(customerId, {
      channels: { email: 'opted_in', sms: 'opted_out' },
      preferredChannel: 'email',
      quietHours,
    });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      customerId,
      touchpointId: expect.stringMatching(/^tp_/),
      preferences: { channels: { email: 'opted_in', sms: 'opted_out' }, preferredChannel: 'email', quietHours },
      changes: [
        'email not stated -> opted_in',
        'sms not stated -> opted_out',
        'preferred channel none -> email',
        'quiet hours none -> 21:00-08:00 Europe/London',
      ],
    });
  });

  it('lists only what differs from the preferences recorded before', async () => {
    const { customerId } = await newCustomer();
    await putPreferences(customerId, { channels: { sms: 'opted_in', email: 'opted_in' } });

    const response = await putPreferences(customerId, { channels: { sms: 'opted_out', email: 'opted_in' } });

    expect(response.body.changes).toEqual(['sms opted_in -> opted_out']);
  });

  it('puts the change on the timeline as a touchpoint on the channel the customer used', async () => {
    const { customerId } = await newCustomer();

    const response = await putPreferences(customerId, { channels: { sms: 'opted_out' }, receivedVia: 'email', source: 'web-form' });

    const [newest] = await wholeTimeline(customerId);
    expect(newest).toMatchObject({
      touchpointId: response.body.touchpointId,
      channel: 'email',
      source: 'web-form',
      summary: 'Contact preferences: sms not stated -> opted_out',
    });
  });

  it('says the preferences were confirmed when nothing changed', async () => {
    const { customerId } = await newCustomer();
    await putPreferences(customerId, { channels: { phone: 'opted_in' } });

    await putPreferences(customerId, { channels: { phone: 'opted_in' } });

    const [newest] = await wholeTimeline(customerId);
    expect(newest?.summary).toBe('Contact preferences: confirmed unchanged');
  });

  it('names an identifier whose permissions changed by its type only, keeping the number out of the summary', async () => {
    const { customerId, phone } = await newCustomer();

    const response = await putPreferences(customerId, { identifiers: [{ type: 'phone', value: phone.national, channels: { sms: 'opted_out' } }] });

    expect(response.body.changes).toEqual(['permissions of a phone identifier changed']);
    const [newest] = await wholeTimeline(customerId);
    expect(String(newest?.summary)).not.toContain(phone.e164.slice(3));
  });

  it('rejects a permission for an identifier that is not the customer’s with 422 and records nothing', async () => {
    const { customerId } = await newCustomer();

    const response = await putPreferences(customerId, {
      channels: { sms: 'opted_out' },
      identifiers: [{ type: 'phone', value: uniquePhone().e164, channels: { sms: 'opted_out' } }],
    });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ path: 'identifiers.0.value', message: 'is not an identifier of this customer' }]);
    expect(await wholeTimeline(customerId)).toHaveLength(1);
  });

  it('rejects the same identifier given twice (in two formats) with 422 and records nothing', async () => {
    const { customerId, phone } = await newCustomer();

    const response = await putPreferences(customerId, {
      identifiers: [
        { type: 'phone', value: phone.e164, marketing: 'opted_out' },
        { type: 'phone', value: phone.national, marketing: 'opted_in' },
      ],
    });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ path: 'identifiers.1.value', message: 'names an identifier given before in this request' }]);
    expect(await wholeTimeline(customerId)).toHaveLength(1);
  });

  it('answers 404 for preferences of an unknown customer', async () => {
    const response = await putPreferences(unknownCustomerId, { channels: { sms: 'opted_out' } });

    expect(response.status).toBe(404);
  });

  it('rejects quiet hours in a time zone that does not exist with 422', async () => {
    const { customerId } = await newCustomer();

    const response = await putPreferences(customerId, { quietHours: { start: '21:00', end: '08:00', timeZone: 'Mars/Olympus_Mons' } });

    expect(response.status).toBe(422);
  });
});

describe('GET contact-check', () => {
  it('refuses a channel the customer opted out of', async () => {
    const { customerId } = await newCustomer();
    await putPreferences(customerId, { channels: { phone: 'opted_out' } });

    const response = await contactCheck(customerId, { channel: 'phone' });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ customerId, channel: 'phone', purpose: 'service', allowed: false, reasons: ['opted_out'] });
  });

  it('lets the customer-level opt-out win over an opt-in on the number', async () => {
    const { customerId, phone } = await newCustomer();
    await putPreferences(customerId, {
      channels: { phone: 'opted_out' },
      identifiers: [{ type: 'phone', value: phone.e164, channels: { phone: 'opted_in' } }],
    });

    const response = await contactCheck(customerId, { channel: 'phone', to: phone.e164 });

    expect(response.body).toMatchObject({ allowed: false, reasons: ['opted_out'], usableIdentifiers: [] });
  });

  it('refuses SMS to the very number that opted out of SMS, given in another format', async () => {
    const { customerId, phone } = await newCustomer();
    await putPreferences(customerId, { identifiers: [{ type: 'phone', value: phone.international, channels: { sms: 'opted_out' } }] });

    const response = await contactCheck(customerId, { channel: 'sms', to: phone.national });

    expect(response.body).toMatchObject({ allowed: false, reasons: ['identifier_opted_out'] });
  });

  it('refuses contact on a number that is not the customer’s', async () => {
    const { customerId } = await newCustomer();

    const response = await contactCheck(customerId, { channel: 'phone', to: uniquePhone().e164 });

    expect(response.body).toMatchObject({ allowed: false, reasons: ['not_customer_identifier'], usableIdentifiers: [] });
  });

  it('refuses a call during quiet hours at the time asked about', async () => {
    const { customerId } = await newCustomer();
    await putPreferences(customerId, { quietHours: { start: '21:00', end: '08:00', timeZone: 'Europe/London' } });

    // 20:30 UTC is 21:30 in London in summer.
    const response = await contactCheck(customerId, { channel: 'phone', at: '2026-07-01T20:30:00Z' });

    expect(response.body).toMatchObject({ at: '2026-07-01T20:30:00.000Z', allowed: false, reasons: ['quiet_hours'] });
  });

  it('allows a call outside quiet hours at the time asked about', async () => {
    const { customerId, phone } = await newCustomer();
    await putPreferences(customerId, { quietHours: { start: '21:00', end: '08:00', timeZone: 'Europe/London' } });

    // 20:30 UTC is 20:30 in London in winter.
    const response = await contactCheck(customerId, { channel: 'phone', at: '2026-01-15T20:30:00Z' });

    expect(response.body).toMatchObject({ allowed: true, reasons: [], usableIdentifiers: [{ type: 'phone', value: phone.e164 }] });
  });

  it('answers unknown_customer for a customer id nobody has', async () => {
    const response = await contactCheck(unknownCustomerId, { channel: 'email' });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ allowed: false, reasons: ['unknown_customer'], usableIdentifiers: [] });
  });

  it('refuses marketing by email without consent', async () => {
    const { customerId } = await newCustomer();

    const response = await contactCheck(customerId, { channel: 'email', purpose: 'marketing' });

    expect(response.body).toMatchObject({ purpose: 'marketing', allowed: false, reasons: ['no_marketing_consent'] });
  });

  it('allows marketing by email once the customer opted in', async () => {
    const { customerId, email } = await newCustomer();
    await putPreferences(customerId, { channels: { email: 'opted_in' } });

    const response = await contactCheck(customerId, { channel: 'email', purpose: 'marketing' });

    expect(response.body).toMatchObject({ allowed: true, reasons: [], usableIdentifiers: [{ type: 'email', value: email }] });
  });

  it('refuses marketing to a work email the customer said may not receive it', async () => {
    const { customerId, email } = await newCustomer();
    await putPreferences(customerId, { channels: { email: 'opted_in' }, identifiers: [{ type: 'email', value: email, marketing: 'opted_out' }] });

    const response = await contactCheck(customerId, { channel: 'email', purpose: 'marketing', to: email });

    expect(response.body).toMatchObject({ allowed: false, reasons: ['no_marketing_consent'] });
  });

  it('rejects a channel that is not a contact channel with 422', async () => {
    const { customerId } = await newCustomer();

    const response = await contactCheck(customerId, { channel: 'web_visit' });

    expect(response.status).toBe(422);
  });
});
