import { beforeAll, describe, expect, it } from 'vitest';
import { countItems, createTestTable, itemsOfEntity } from '../helpers/dynamodb.ts';
import { getCustomer, getTimeline, lookupCustomer, postTouchpoint, recordTouchpoint } from '../helpers/handlers.ts';
import { minutesAgo, touchpointBody, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

const phoneFormats = ['international', 'internationalWithTrunkZero', 'national', 'e164'] as const;

describe('lookup by phone', () => {
  it.each(phoneFormats)('finds a caller posted as E.164 when looked up in %s format', async (format) => {
    const phone = uniquePhone();
    const created = await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164 } }));

    const response = await lookupCustomer({ phone: phone[format] });

    expect(response.status).toBe(200);
    expect(response.body.customer.customerId).toBe(created.customerId);
  });

  it.each(phoneFormats)('stores a phone posted in %s format as E.164', async (format) => {
    const phone = uniquePhone();
    const created = await recordTouchpoint(touchpointBody({ identifiers: { phone: phone[format] } }));

    const response = await lookupCustomer({ phone: phone.e164 });

    expect(response.body.customer).toMatchObject({
      customerId: created.customerId,
      identifiers: [{ type: 'phone', value: phone.e164 }],
    });
  });

  it('recognises the example caller in all four formats as one customer', async () => {
    const formats = ['+44 20 7946 0018', '+44 (0)20 7946 0018', '020 7946 0018', '+442079460018'];
    const results = [];
    for (const phone of formats) results.push(await recordTouchpoint(touchpointBody({ identifiers: { phone } })));

    const response = await lookupCustomer({ phone: '020 7946 0018' });

    expect(new Set(results.map((result) => result.customerId))).toEqual(new Set([response.body.customer.customerId]));
    expect(results.map((result) => result.customerCreated)).toEqual([true, false, false, false]);
    expect(response.body.summary.touchpointCount).toBe(4);
  });

  it('answers 422 naming query.phone for a number that is not valid', async () => {
    const response = await lookupCustomer({ phone: '020 7946 001' });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'query.phone' })]);
  });
});

describe('lookup by email', () => {
  it.each([
    ['upper case', (email: string) => email.toUpperCase()],
    ['surrounding spaces', (email: string) => `  ${email}  `],
    ['mixed case and spaces', (email: string) => ` ${email.slice(0, 3).toUpperCase()}${email.slice(3)}\t`],
  ])('finds the customer when the address is looked up with %s', async (_variant, vary) => {
    const email = uniqueEmail();
    const created = await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { email } }));

    const response = await lookupCustomer({ email: vary(email) });

    expect(response.status).toBe(200);
    expect(response.body.customer.customerId).toBe(created.customerId);
  });

  it('stores an address posted in mixed case with spaces trimmed and lower-cased', async () => {
    const email = uniqueEmail();
    const created = await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { email: `  ${email.toUpperCase()} ` } }));

    const response = await getCustomer(created.customerId);

    expect(response.body.customer.identifiers).toEqual([{ type: 'email', value: email }]);
  });
});

describe('lookup by each identifier type', () => {
  it('finds a customer by account number, trimmed', async () => {
    const accountId = `ACC-${unique()}`;
    const created = await recordTouchpoint(touchpointBody({ channel: 'invoice_query', identifiers: { accountId: ` ${accountId} ` } }));

    const response = await lookupCustomer({ accountId });

    expect(response.status).toBe(200);
    expect(response.body.customer.customerId).toBe(created.customerId);
    expect(response.body.customer.identifiers).toContainEqual({ type: 'accountId', value: accountId });
  });

  it('finds a customer by invoice number, trimmed', async () => {
    const invoiceNumber = `INV-${unique()}`;
    const created = await recordTouchpoint(touchpointBody({ channel: 'invoice_query', identifiers: { invoiceNumber: `${invoiceNumber}  ` } }));

    const response = await lookupCustomer({ invoiceNumber: ` ${invoiceNumber}` });

    expect(response.status).toBe(200);
    expect(response.body.customer.customerId).toBe(created.customerId);
  });

  it('finds a website visitor by anonymous id', async () => {
    const anonymousId = `cookie-${unique()}`;
    const created = await recordTouchpoint(touchpointBody({ channel: 'web_visit', identifiers: { anonymousId } }));

    const response = await lookupCustomer({ anonymousId });

    expect(response.status).toBe(200);
    expect(response.body.customer.customerId).toBe(created.customerId);
  });

  it('finds a customer by the customer id this API issued', async () => {
    const created = await recordTouchpoint(touchpointBody());

    const response = await lookupCustomer({ customerId: created.customerId });

    expect(response.status).toBe(200);
    expect(response.body.customer.customerId).toBe(created.customerId);
  });

  it('finds a customer by external id written as system:id', async () => {
    const externalId = { system: 'salesforce', id: `0031x${unique()}` };
    const created = await recordTouchpoint(touchpointBody({ identifiers: { externalId } }));

    const response = await lookupCustomer({ externalId: `salesforce:${externalId.id}` });

    expect(response.status).toBe(200);
    expect(response.body.customer).toMatchObject({
      customerId: created.customerId,
      identifiers: [{ type: 'externalId', value: `salesforce:${externalId.id}` }],
    });
  });

  it('does not find an external id under another system', async () => {
    const id = `0031x${unique()}`;
    await recordTouchpoint(touchpointBody({ identifiers: { externalId: { system: 'salesforce', id } } }));

    const response = await lookupCustomer({ externalId: `hubspot:${id}` });

    expect(response.status).toBe(404);
  });

  it('answers with the customer, a summary and the recent touchpoints', async () => {
    const phone = uniquePhone();
    const first = await recordTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone: phone.e164 }, occurredAt: minutesAgo(30) }));
    const second = await recordTouchpoint(
      touchpointBody({ channel: 'sms', identifiers: { phone: phone.e164 }, occurredAt: minutesAgo(10), summary: 'Reminder sent' }),
    );

    const response = await lookupCustomer({ phone: phone.national });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      customer: {
        customerId: first.customerId,
        createdAt: expect.any(String),
        identifiers: [{ type: 'phone', value: phone.e164 }],
      },
      summary: {
        touchpointCount: 2,
        countsByChannel: { call: 1, sms: 1, email: 0 },
        lastContact: { touchpointId: second.touchpointId, channel: 'sms', summary: 'Reminder sent' },
      },
    });
    expect(response.body.recent.map((touchpoint: { touchpointId: string }) => touchpoint.touchpointId)).toEqual([second.touchpointId, first.touchpointId]);
  });

  it('shows at most the 10 most recent touchpoints, newest first', async () => {
    const phone = uniquePhone().e164;
    const ids: string[] = [];
    for (let index = 12; index >= 1; index -= 1) {
      ids.push((await recordTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(index) }))).touchpointId);
    }

    const response = await lookupCustomer({ phone });

    expect(response.body.recent.map((touchpoint: { touchpointId: string }) => touchpoint.touchpointId)).toEqual(ids.slice(2).reverse());
    expect(response.body.summary.touchpointCount).toBe(12);
  });

  it('answers 404 problem details for an identifier nobody has', async () => {
    const response = await lookupCustomer({ accountId: `ACC-${unique()}` });

    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  });

  it('answers 404 for a well-formed customer id nobody has', async () => {
    const response = await lookupCustomer({ customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB' });

    expect(response.status).toBe(404);
  });

  it('answers 422 when two identifiers are given', async () => {
    const response = await lookupCustomer({ phone: uniquePhone().e164, email: uniqueEmail() });

    expect(response.status).toBe(422);
  });

  it('answers 422 when no identifier is given', async () => {
    const response = await lookupCustomer({});

    expect(response.status).toBe(422);
  });
});

describe('recognition across touchpoints', () => {
  it('records a touchpoint with a known identifier on that customer without creating another', async () => {
    const phone = uniquePhone();
    const first = await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164 } }));

    const second = await recordTouchpoint(touchpointBody({ channel: 'sms', identifiers: { phone: phone.national } }));

    expect(second).toMatchObject({ customerId: first.customerId, customerCreated: false });
    expect((await itemsOfEntity('customer')).filter((item) => item.customerId === first.customerId)).toHaveLength(1);
  });

  it('attaches unknown identifiers to the customer a known identifier points to', async () => {
    const phone = uniquePhone();
    const email = uniqueEmail();
    const accountId = `ACC-${unique()}`;
    const first = await recordTouchpoint(touchpointBody({ identifiers: { phone: phone.e164 } }));

    await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { phone: phone.international, email, accountId } }));

    const byEmail = await lookupCustomer({ email });
    const byAccount = await lookupCustomer({ accountId });
    expect(byEmail.body.customer.customerId).toBe(first.customerId);
    expect(byAccount.body.customer.customerId).toBe(first.customerId);
    expect(byEmail.body.customer.identifiers).toEqual(
      expect.arrayContaining([
        { type: 'phone', value: phone.e164 },
        { type: 'email', value: email },
        { type: 'accountId', value: accountId },
      ]),
    );
  });

  it('records a touchpoint naming a customer by id on that customer and attaches its other identifiers', async () => {
    const first = await recordTouchpoint(touchpointBody());
    const email = uniqueEmail();

    const second = await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { customerId: first.customerId, email } }));

    expect(second).toMatchObject({ customerId: first.customerId, customerCreated: false });
    expect((await lookupCustomer({ email })).body.customer.customerId).toBe(first.customerId);
  });

  it('answers 422 naming identifiers.customerId for a customer id nobody has, and stores nothing', async () => {
    const before = await countItems();

    const response = await postTouchpoint(touchpointBody({ identifiers: { customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB', email: uniqueEmail() } }));

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'identifiers.customerId' })]);
    expect(await countItems()).toBe(before);
  });
});

describe('conflicting identifiers', () => {
  /** Two customers, one known by the stronger identifier, one by the weaker; then a touchpoint with both. */
  async function conflict(stronger: Record<string, unknown>, weaker: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const strong = await recordTouchpoint(touchpointBody({ identifiers: stronger }));
    const weak = await recordTouchpoint(touchpointBody({ identifiers: weaker }));
    // Weakest first in the body, so the order of the request cannot be what decides.
    const result = await recordTouchpoint(touchpointBody({ identifiers: { ...extra, ...weaker, ...stronger } }));
    return { strong, weak, result };
  }

  const identifierOfType: Record<string, () => Record<string, unknown>> = {
    accountId: () => ({ accountId: `ACC-${unique()}` }),
    externalId: () => ({ externalId: { system: 'crm', id: unique() } }),
    email: () => ({ email: uniqueEmail() }),
    phone: () => ({ phone: uniquePhone().e164 }),
    invoiceNumber: () => ({ invoiceNumber: `INV-${unique()}` }),
    anonymousId: () => ({ anonymousId: `cookie-${unique()}` }),
  };

  it.each([
    ['accountId', 'externalId'],
    ['externalId', 'email'],
    ['email', 'phone'],
    ['phone', 'invoiceNumber'],
    ['invoiceNumber', 'anonymousId'],
    ['accountId', 'anonymousId'],
  ] as const)('records on the customer of the %s rather than the customer of the %s', async (strongerType, weakerType) => {
    const { strong, result } = await conflict(identifierOfType[strongerType]!(), identifierOfType[weakerType]!());

    expect(result).toMatchObject({ customerId: strong.customerId, customerCreated: false });
  });

  it('records on the customer named by customerId rather than the customer of an account number', async () => {
    const named = await recordTouchpoint(touchpointBody());
    const accountId = `ACC-${unique()}`;
    const other = await recordTouchpoint(touchpointBody({ identifiers: { accountId } }));

    const result = await recordTouchpoint(touchpointBody({ identifiers: { accountId, customerId: named.customerId } }));

    expect(result.customerId).toBe(named.customerId);
    expect((await lookupCustomer({ accountId })).body.customer.customerId).toBe(other.customerId);
  });

  it('leaves a contested identifier with the customer that owned it', async () => {
    const email = uniqueEmail();
    const phone = uniquePhone().e164;

    const { weak } = await conflict({ email }, { phone });

    const byPhone = await lookupCustomer({ phone });
    expect(byPhone.body.customer.customerId).toBe(weak.customerId);
  });

  it('attaches nothing contested to the customer the touchpoint was recorded on', async () => {
    const email = uniqueEmail();
    const phone = uniquePhone().e164;

    const { strong } = await conflict({ email }, { phone });

    const customer = await getCustomer(strong.customerId);
    expect(customer.body.customer.identifiers).toEqual([{ type: 'email', value: email }]);
  });

  it('still attaches the uncontested unknown identifiers to the strongest customer', async () => {
    const email = uniqueEmail();
    const phone = uniquePhone().e164;
    const anonymousId = `cookie-${unique()}`;

    const { strong } = await conflict({ email }, { phone }, { anonymousId });

    expect((await lookupCustomer({ anonymousId })).body.customer.customerId).toBe(strong.customerId);
  });

  it("puts the touchpoint on the strongest customer's timeline only", async () => {
    const { strong, weak, result } = await conflict({ email: uniqueEmail() }, { phone: uniquePhone().e164 });

    const strongTimeline = await getTimeline(strong.customerId);
    const weakTimeline = await getTimeline(weak.customerId);

    const ids = (page: { body: { items: Array<{ touchpointId: string }> } }) => page.body.items.map((item) => item.touchpointId);
    expect(ids(strongTimeline)).toContain(result.touchpointId);
    expect(ids(weakTimeline)).not.toContain(result.touchpointId);
  });

  it('keeps a merge candidate record naming both customers and the contested identifier', async () => {
    const email = uniqueEmail();
    const phone = uniquePhone().e164;

    const { strong, weak, result } = await conflict({ email }, { phone });

    const candidates = (await itemsOfEntity('mergeCandidate')).filter(
      (item) => Array.isArray(item.customerIds) && item.customerIds.includes(strong.customerId),
    );
    expect(candidates).toHaveLength(1);
    expect(candidates[0]).toMatchObject({
      customerIds: [strong.customerId, weak.customerId].sort(),
      identifiers: [{ type: 'phone', value: phone }],
      lastTouchpointId: result.touchpointId,
    });
  });

  it('writes no merge candidate when the identifiers agree', async () => {
    const phone = uniquePhone().e164;
    const first = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));

    await recordTouchpoint(touchpointBody({ identifiers: { phone, email: uniqueEmail() } }));

    const candidates = (await itemsOfEntity('mergeCandidate')).filter((item) => Array.isArray(item.customerIds) && item.customerIds.includes(first.customerId));
    expect(candidates).toEqual([]);
  });
});
