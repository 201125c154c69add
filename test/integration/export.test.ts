import { beforeAll, describe, expect, it } from 'vitest';
import { handler as linkHandler } from '../../functions/link-identifier/handler.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { getCustomer, mergeCustomers, recordTouchpoint } from '../helpers/handlers.ts';
import { exportCustomer, getAccessLog } from '../helpers/privacy-handlers.ts';
import { allChannels, minutesAgo, touchpointBody, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

beforeAll(async () => {
  await createTestTable();
});

async function wholeExport(customerId: string, limit: string) {
  const pages = [];
  let cursor: string | null = null;
  do {
    const page = await exportCustomer(customerId, { limit, ...(cursor ? { cursor } : {}) });
    expect(page.status).toBe(200);
    pages.push(page.body);
    cursor = page.body.nextCursor;
  } while (cursor);
  return pages;
}

describe('exporting everything held about a customer', () => {
  it('holds the profile, identifiers with provenance, card, preferences, every touchpoint and the access log', async () => {
    const phone = uniquePhone().e164;
    const email = uniqueEmail();
    const { customerId } = await recordTouchpoint(touchpointBody({ identifiers: { phone, email }, occurredAt: minutesAgo(60) }));
    for (const channel of allChannels.slice(1)) {
      await recordTouchpoint(touchpointBody({ channel, identifiers: { customerId }, occurredAt: minutesAgo(30) }));
    }
    await getCustomer(customerId);

    const [document] = await wholeExport(customerId, '500');

    expect(document).toMatchObject({ customerId, nextCursor: null, customer: { customerId, createdAt: expect.any(String) } });
    // The profile as stored holds its card's attributes too (the card is an item of its own).
    expect(document.customer).toMatchObject({ touchpointCount: allChannels.length, version: expect.any(Number), lastContact: expect.any(Object) });
    expect(document.identifiers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'phone', value: phone, provenance: expect.objectContaining({ source: 'call-centre' }) }),
        expect.objectContaining({ type: 'email', value: email }),
      ]),
    );
    expect(document.card).toMatchObject({ touchpointCount: allChannels.length });
    expect(document).toHaveProperty('preferences');
    expect(document.touchpoints).toHaveLength(allChannels.length);
    expect(document.touchpoints[0]).toMatchObject({ customerId, channel: expect.any(String), details: expect.any(Object) });
    // The export's own entry may be there too: it is written alongside the read.
    expect(document.accessLog).toEqual(expect.arrayContaining([expect.objectContaining({ operation: 'get-customer' })]));
    expect(JSON.stringify(document)).not.toMatch(/"pk"|"sk"|gsi1/);
  });

  it('pages a long history by cursor: every touchpoint exactly once, the profile on the first page only', async () => {
    const { customerId } = await recordTouchpoint(touchpointBody({ occurredAt: minutesAgo(500) }));
    for (let index = 1; index < 25; index += 1) {
      await recordTouchpoint(touchpointBody({ identifiers: { customerId }, occurredAt: minutesAgo(500 - index) }));
    }

    const pages = await wholeExport(customerId, '7');

    const ids = pages.flatMap((page) => page.touchpoints.map((touchpoint: { touchpointId: string }) => touchpoint.touchpointId));
    expect(pages.length).toBeGreaterThan(3);
    expect(new Set(ids).size).toBe(25);
    expect(ids).toHaveLength(25);
    expect(pages.filter((page) => page.customer !== undefined)).toHaveLength(1);
  });

  it('includes the merges the customer took part in', async () => {
    const survivor = await recordTouchpoint(touchpointBody());
    const mergedAway = await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { email: uniqueEmail() } }));
    await mergeCustomers(survivor.customerId, mergedAway.customerId);

    const [document] = await wholeExport(survivor.customerId, '500');

    expect(document.merges).toEqual([expect.objectContaining({ targetCustomerId: survivor.customerId, sourceCustomerId: mergedAway.customerId })]);
  });

  it("lists the merges of others that moved an identifier the customer shares, and which, as the merge's undo keeps them", async () => {
    const phone = uniquePhone().e164;
    const owner = await recordTouchpoint(touchpointBody({ identifiers: { phone } }));
    const sharer = await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { email: uniqueEmail() } }));
    const linked = await invoke(
      linkHandler,
      apiEvent({
        method: 'POST',
        routePath: '/v1/customers/{customerId}/identifiers',
        path: `/v1/customers/${sharer.customerId}/identifiers`,
        pathParameters: { customerId: sharer.customerId },
        body: { type: 'phone', value: phone, shared: true },
      }),
    );
    expect(linked.status).toBe(201);
    const survivor = await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { email: uniqueEmail() } }));
    const { mergeId } = (await mergeCustomers(survivor.customerId, owner.customerId)).body;

    const [document] = await wholeExport(sharer.customerId, '500');

    expect(document.sharedInMerges).toEqual([{ mergeId, createdAt: expect.any(String), status: 'completed', identifiers: [{ type: 'phone', value: phone }] }]);
    expect(document.merges).toEqual([]);
  });

  it('is itself recorded in the access log', async () => {
    const { customerId } = await recordTouchpoint(touchpointBody());

    await exportCustomer(customerId);

    expect((await getAccessLog(customerId)).body.items[0]).toMatchObject({ operation: 'export' });
  });

  it('answers 404 for a customer nobody has and 400 for a cursor of another customer', async () => {
    const first = await recordTouchpoint(touchpointBody());
    const second = await recordTouchpoint(touchpointBody());
    await recordTouchpoint(touchpointBody({ identifiers: { customerId: first.customerId } }));
    const page = await exportCustomer(first.customerId, { limit: '1' });

    expect((await exportCustomer('cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB')).status).toBe(404);
    expect((await exportCustomer(second.customerId, { cursor: page.body.nextCursor })).status).toBe(400);
  });
});

describe('exporting a person made of several customers', () => {
  it('pages across every merged-in customer: their touchpoints once each, their profiles and read audit, the cursor bound to the person', async () => {
    const cookie = `ck-${uniqueEmail()}`;
    const visit = await recordTouchpoint(touchpointBody({ channel: 'web_visit', identifiers: { anonymousId: cookie }, occurredAt: minutesAgo(90) }));
    await getCustomer(visit.customerId);
    const email = uniqueEmail();
    const known = await recordTouchpoint(touchpointBody({ channel: 'email', identifiers: { email }, occurredAt: minutesAgo(80) }));
    const duplicate = await recordTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 }, occurredAt: minutesAgo(70) }));
    for (let index = 0; index < 4; index += 1) {
      await recordTouchpoint(touchpointBody({ identifiers: { customerId: duplicate.customerId }, occurredAt: minutesAgo(60 - index) }));
    }
    await getCustomer(duplicate.customerId);
    // The visitor signs in (an automatic merge), then staff merge the duplicate.
    await recordTouchpoint(touchpointBody({ channel: 'web_visit', identifiers: { anonymousId: cookie, email }, occurredAt: minutesAgo(50) }));
    await mergeCustomers(known.customerId, duplicate.customerId);
    const stranger = await recordTouchpoint(touchpointBody());

    const pages = await wholeExport(duplicate.customerId, '3');

    const [first] = pages;
    expect(first).toMatchObject({ customerId: known.customerId, redirectedFrom: duplicate.customerId });
    expect(first.customerIds).toEqual(expect.arrayContaining([known.customerId, visit.customerId, duplicate.customerId]));
    const touchpointIds = pages.flatMap((page) => page.touchpoints.map((touchpoint: { touchpointId: string }) => touchpoint.touchpointId));
    expect(new Set(touchpointIds).size).toBe(touchpointIds.length);
    expect(touchpointIds).toHaveLength(8);
    const mergedProfiles = pages.flatMap((page) => page.mergedProfiles.map((profile: { customerId: string }) => profile.customerId));
    expect(mergedProfiles.sort()).toEqual([visit.customerId, duplicate.customerId].sort());
    // Each with its card's attributes, whichever page the card item fell on.
    const duplicateProfile = pages.flatMap((page) => page.mergedProfiles).find((profile) => profile.customerId === duplicate.customerId);
    expect(duplicateProfile).toMatchObject({ mergedInto: known.customerId, touchpointCount: 5, version: expect.any(Number) });
    const audited = new Set(pages.flatMap((page) => page.accessLog.map((entry: { customerId: string }) => entry.customerId)));
    expect([...audited]).toEqual(expect.arrayContaining([visit.customerId, duplicate.customerId]));
    expect(pages.flatMap((page) => page.merges)).toHaveLength(2);
    // A cursor of this person's export continues nobody else's: a 400 invalid-cursor, as every foreign cursor.
    const second = await exportCustomer(known.customerId, { limit: '3' });
    const foreign = await exportCustomer(stranger.customerId, { cursor: second.body.nextCursor });
    expect(foreign.status).toBe(400);
    expect(foreign.body.type).toBe('urn:touchpoint-api:problem:invalid-cursor');
  });
});
