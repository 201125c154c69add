import { beforeAll, describe, expect, it } from 'vitest';
import { ids, identityApi } from '../helpers/identity-api.ts';
import { useTestApiClient } from '../helpers/local-api.ts';
import { minutesAgo, touchpointBody, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * Merges over HTTP: the automatic merge of an anonymous visitor, merge candidates for two known
 * customers, staff merges and their undo (exactly as before, in the right order).
 */
const client = useTestApiClient();
const api = identityApi(client);

const webVisit = (anonymousId: string, minutesBefore: number, page = 'pricing') =>
  touchpointBody({
    channel: 'web_visit',
    identifiers: { anonymousId },
    occurredAt: minutesAgo(minutesBefore),
    details: { url: `https://www.example.org/${page}`, title: page, sessionId: `sess-${unique()}` },
  });

/** A known customer (email, one call 40 minutes ago) and a visitor who browsed anonymously 50 and 20 minutes ago. */
async function knownCustomerAndAnonymousVisitor() {
  const email = uniqueEmail();
  const anonymousId = `cookie-${unique()}`;
  const call = await api.arrangeTouchpoint(touchpointBody({ channel: 'email', identifiers: { email }, occurredAt: minutesAgo(40) }));
  const firstVisit = await api.arrangeTouchpoint(webVisit(anonymousId, 50, 'home'));
  const secondVisit = await api.arrangeTouchpoint(webVisit(anonymousId, 20, 'pricing'));
  return { email, anonymousId, known: call.customerId, anonymous: firstVisit.customerId, call, firstVisit, secondVisit };
}

/** The visitor signs in: a touchpoint carrying both the cookie and the email. */
async function visitorSignsIn() {
  const arranged = await knownCustomerAndAnonymousVisitor();
  const signIn = await api.arrangeTouchpoint(
    touchpointBody({
      channel: 'web_visit',
      identifiers: { anonymousId: arranged.anonymousId, email: arranged.email },
      occurredAt: minutesAgo(5),
      details: { url: 'https://www.example.org/account', title: 'account', sessionId: `sess-${unique()}` },
    }),
  );
  return { ...arranged, signIn };
}

describe('automatic merge of an anonymous visitor who signs in', () => {
  let arranged: Awaited<ReturnType<typeof visitorSignsIn>>;

  beforeAll(async () => {
    arranged = await visitorSignsIn();
  });

  it('records the sign-in on the known customer and merges the anonymous profile into it', () => {
    const { known, anonymous, signIn } = arranged;

    expect(signIn.customerId).toBe(known);
    expect(signIn.merges).toEqual([{ mergeId: expect.stringMatching(/^mrg_/), sourceCustomerId: anonymous }]);
  });

  it('finds the same customer by the cookie and by the email', async () => {
    const { known, anonymousId, email } = arranged;

    const [byCookie, byEmail] = await Promise.all([api.lookup('anonymousId', anonymousId), api.lookup('email', email)]);

    expect(byCookie.body.customer.customerId).toBe(known);
    expect(byEmail.body.customer.customerId).toBe(known);
  });

  it("shows the earlier anonymous visits on the known customer's timeline, in time order", async () => {
    const { known, call, firstVisit, secondVisit, signIn } = arranged;

    const timeline = await api.timeline(known);

    expect(ids(timeline.items)).toEqual([signIn.touchpointId, secondVisit.touchpointId, call.touchpointId, firstVisit.touchpointId]);
  });

  it('lists the automatic merge in the audit trail: who, why, what moved', async () => {
    const { known, anonymous, anonymousId, signIn } = arranged;

    const response = await api.merges(known);

    expect(response.body.items).toContainEqual(
      expect.objectContaining({
        mergeId: signIn.merges?.[0]?.mergeId,
        kind: 'merge',
        targetCustomerId: known,
        sourceCustomerId: anonymous,
        actor: expect.stringMatching(/^automatic:/),
        reason: expect.stringContaining(signIn.touchpointId),
        status: 'completed',
        movedIdentifiers: [{ type: 'anonymousId', value: anonymousId }],
        movedTouchpointCount: 2,
      }),
    );
  });

  it('explains the cookie on the known customer as merged, with the merge that brought it', async () => {
    const { known, anonymousId, firstVisit, signIn } = arranged;

    const response = await api.identifiers(known);

    expect(response.body.identifiers).toContainEqual({
      type: 'anonymousId',
      value: anonymousId,
      shared: false,
      provenance: expect.objectContaining({
        rule: 'merged',
        mergeId: signIn.merges?.[0]?.mergeId,
        mergedAt: expect.any(String),
        touchpointId: firstVisit.touchpointId,
      }),
    });
  });
});

/** Two known customers; a touchpoint then carries the email of the first and the phone of the second. */
async function twoKnownCustomersClaimingOneTouchpoint() {
  const email = uniqueEmail();
  const phone = uniquePhone().e164;
  const first = await api.arrangeTouchpoint(touchpointBody({ channel: 'email', identifiers: { email }, occurredAt: minutesAgo(30) }));
  const second = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(20) }));
  const both = await api.arrangeTouchpoint(touchpointBody({ channel: 'chat', identifiers: { email, phone }, occurredAt: minutesAgo(2) }));
  const candidateId = [first.customerId, second.customerId].sort().join('.');
  return { email, phone, first: first.customerId, second: second.customerId, both, candidateId };
}

describe('two known customers claiming one identifier', () => {
  describe('a touchpoint carrying the email of one and the phone of the other', () => {
    let arranged: Awaited<ReturnType<typeof twoKnownCustomersClaimingOneTouchpoint>>;

    beforeAll(async () => {
      arranged = await twoKnownCustomersClaimingOneTouchpoint();
    });

    it('is recorded on the customer of the stronger identifier, merging nobody', () => {
      expect(arranged.both.customerId).toBe(arranged.first);
      expect(arranged.both.merges).toBeUndefined();
    });

    it('leaves the phone with its own customer', async () => {
      const response = await api.lookup('phone', arranged.phone);

      expect(response.body.customer.customerId).toBe(arranged.second);
    });

    it('makes them an open merge candidate naming the identifier they both claim', async () => {
      const { phone, candidateId, first, second } = arranged;

      const candidates = await api.openCandidates();

      expect(candidates).toContainEqual(
        expect.objectContaining({
          candidateId,
          customerIds: [first, second].sort(),
          identifiers: [{ type: 'phone', value: phone }],
          status: 'open',
        }),
      );
    });
  });

  it('takes a dismissed candidate off the open list', async () => {
    const { candidateId } = await twoKnownCustomersClaimingOneTouchpoint();

    const response = await api.dismiss(candidateId);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ candidateId, status: 'dismissed' });
    expect((await api.openCandidates()).map((candidate) => candidate.candidateId)).not.toContain(candidateId);
  });

  it('answers 404 when dismissing a candidate nobody recorded', async () => {
    const response = await api.dismiss('cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB.cus_01JDQ7ZKX3F8V6M2N4P5R7S9TC');

    expect(response.status).toBe(404);
  });

  it('takes the candidate off the open list once staff merged the two customers', async () => {
    const { candidateId, first, second } = await twoKnownCustomersClaimingOneTouchpoint();
    await api.arrangeMerge(first, second);

    const candidates = await api.openCandidates();

    expect(candidates.map((candidate) => candidate.candidateId)).not.toContain(candidateId);
  });
});

/** A target (email, calls 60 and 20 minutes ago) and a source (phone and account, calls 40 and 10 minutes ago). */
async function targetAndSource() {
  const email = uniqueEmail();
  const phone = uniquePhone().e164;
  const accountId = `ACC-${unique()}`;
  const t1 = await api.arrangeTouchpoint(touchpointBody({ channel: 'email', identifiers: { email }, occurredAt: minutesAgo(60) }));
  const s1 = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone, accountId }, occurredAt: minutesAgo(40), value: 120 }));
  const t2 = await api.arrangeTouchpoint(touchpointBody({ channel: 'chat', identifiers: { email }, occurredAt: minutesAgo(20), value: 30 }));
  const s2 = await api.arrangeTouchpoint(touchpointBody({ channel: 'sms', identifiers: { phone }, occurredAt: minutesAgo(10) }));
  return {
    email,
    phone,
    accountId,
    target: t1.customerId,
    source: s1.customerId,
    targetTouchpoints: [t1.touchpointId, t2.touchpointId],
    sourceTouchpoints: [s1.touchpointId, s2.touchpointId],
    order: [s2.touchpointId, t2.touchpointId, s1.touchpointId, t1.touchpointId],
  };
}

describe('POST /v1/customers/{targetId}/merge', () => {
  describe('a staff merge of a source into a target', () => {
    let arranged: Awaited<ReturnType<typeof targetAndSource>>;
    let merge: Awaited<ReturnType<typeof api.merge>>;

    beforeAll(async () => {
      arranged = await targetAndSource();
      merge = await api.merge(arranged.target, arranged.source);
    });

    it('answers 201 with the merge record: what moved', () => {
      const { target, source, phone, accountId } = arranged;

      expect(merge.status).toBe(201);
      expect(merge.body).toMatchObject({
        mergeId: expect.stringMatching(/^mrg_/),
        kind: 'merge',
        targetCustomerId: target,
        sourceCustomerId: source,
        status: 'completed',
        movedTouchpointCount: 2,
      });
      expect(merge.body.movedIdentifiers).toEqual(
        expect.arrayContaining([
          { type: 'phone', value: phone },
          { type: 'accountId', value: accountId },
        ]),
      );
    });

    it('resolves every identifier of both customers to the survivor', async () => {
      const { target, email, phone, accountId } = arranged;

      const lookups = await Promise.all([api.lookup('email', email), api.lookup('phone', phone), api.lookup('accountId', accountId)]);

      expect(lookups.map((response) => [response.status, response.body.customer.customerId])).toEqual([
        [200, target],
        [200, target],
        [200, target],
      ]);
    });

    it("interleaves both histories on the survivor's timeline, newest first", async () => {
      const timeline = await api.timeline(arranged.target);

      expect(ids(timeline.items)).toEqual(arranged.order);
    });

    it('answers a read of the merged-away customer with the survivor and redirectedFrom', async () => {
      const response = await api.customer(arranged.source);

      expect(response.status).toBe(200);
      expect(response.body.customer.customerId).toBe(arranged.target);
      expect(response.body.redirectedFrom).toBe(arranged.source);
    });

    it("answers the merged-away customer's timeline with the survivor's", async () => {
      const { target, source, order } = arranged;

      const timeline = await api.timeline(source);

      expect(timeline).toMatchObject({ customerId: target, redirectedFrom: source });
      expect(ids(timeline.items)).toEqual(order);
    });

    it("combines both customers' counts on the survivor's card", async () => {
      const response = await api.customer(arranged.target);

      expect(response.body.card).toMatchObject({
        touchpointCount: 4,
        countsByChannel: { email: 1, call: 1, chat: 1, sms: 1 },
        lastContact: { touchpointId: arranged.order[0] },
        valueTier: { monetaryTotal: 150 },
      });
    });

    it('lists the merge on the audit trail of both customers', async () => {
      const [targets, sources] = await Promise.all([api.merges(arranged.target), api.merges(arranged.source)]);

      expect(targets.body.items.map((item: { mergeId: string }) => item.mergeId)).toContain(merge.body.mergeId);
      expect(sources.body.items.map((item: { mergeId: string }) => item.mergeId)).toContain(merge.body.mergeId);
    });

    it("explains the source's identifiers on the survivor as merged, keeping where they first came from", async () => {
      const response = await api.identifiers(arranged.target);

      expect(response.body.identifiers).toContainEqual({
        type: 'phone',
        value: arranged.phone,
        shared: false,
        provenance: {
          rule: 'merged',
          mergeId: merge.body.mergeId,
          mergedAt: expect.any(String),
          touchpointId: arranged.sourceTouchpoints[0],
          source: 'call-centre',
          attachedAt: expect.any(String),
        },
      });
    });

    it('answers 409 when the source is merged again, naming the survivor it was merged into', async () => {
      const other = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 } }));

      const response = await api.merge(other.customerId, arranged.source);

      expect(response.status).toBe(409);
      expect(response.body.mergedInto).toBe(arranged.target);
    });

    it('answers 409 when something is merged into the merged-away customer, naming the survivor', async () => {
      const other = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 } }));

      const response = await api.merge(arranged.source, other.customerId);

      expect(response.status).toBe(409);
      expect(response.body.mergedInto).toBe(arranged.target);
    });
  });

  describe('a merge of two customers who both stated contact preferences', () => {
    let arranged: Awaited<ReturnType<typeof targetAndSource>>;

    beforeAll(async () => {
      arranged = await targetAndSource();
      await api.setPreferences(arranged.target, { channels: { email: 'opted_in', sms: 'opted_out', phone: 'opted_in' } });
      await api.setPreferences(arranged.source, {
        channels: { email: 'opted_out', sms: 'opted_in' },
        identifiers: [{ type: 'phone', value: arranged.phone, channels: { sms: 'opted_out' } }],
      });
      await api.arrangeMerge(arranged.target, arranged.source);
    });

    it('keeps the strictest permission of both on each channel', async () => {
      const response = await api.customer(arranged.target);

      expect(response.body.card.contactPermissions.channels).toEqual({ email: 'opted_out', sms: 'opted_out', phone: 'opted_in', mail: 'not_stated' });
    });

    it("keeps the opt-out stated on the source's phone number", async () => {
      const check = await client.get(`/v1/customers/${arranged.target}/contact-check?channel=sms&to=${encodeURIComponent(arranged.phone)}`);

      expect(check.body).toMatchObject({ allowed: false, reasons: expect.arrayContaining(['identifier_opted_out']) });
    });
  });

  it('answers 422 for a merge of a customer into itself', async () => {
    const { customerId } = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 } }));

    const response = await api.merge(customerId, customerId);

    expect(response.status).toBe(422);
  });

  it('answers 404 when the source is a customer nobody has', async () => {
    const { customerId } = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 } }));

    const response = await api.merge(customerId, 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB');

    expect(response.status).toBe(404);
  });

  it('answers a lookup by a phone both customers shared with the survivor alone, after merging them', async () => {
    const { target, source, phone } = await targetAndSource();
    await api.arrangeLink(target, { type: 'phone', value: phone, shared: true });
    await api.arrangeMerge(target, source);

    const response = await api.lookup('phone', phone);

    expect(response.status).toBe(200);
    expect(response.body.customer?.customerId).toBe(target);
  });
});

describe('POST /v1/merges/{mergeId}/undo', () => {
  it('answers 200 with the merge marked undone', async () => {
    const { target, source } = await targetAndSource();
    const { mergeId } = await api.arrangeMerge(target, source);

    const response = await api.undo(mergeId);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ mergeId, status: 'undone', undoneAt: expect.any(String), undoneBy: expect.any(String) });
  });

  it('restores both customers exactly: lookup, card, timeline and identifiers', async () => {
    const { target, source, email, phone } = await targetAndSource();
    await api.setPreferences(target, { channels: { email: 'opted_in' } });
    await api.setPreferences(source, { channels: { email: 'opted_out' } });
    const before = await Promise.all([api.views(target, { type: 'email', value: email }), api.views(source, { type: 'phone', value: phone })]);
    const { mergeId } = await api.arrangeMerge(target, source);

    await api.undo(mergeId);

    const after = await Promise.all([api.views(target, { type: 'email', value: email }), api.views(source, { type: 'phone', value: phone })]);
    expect(after).toEqual(before);
  });

  it('sends a touchpoint recorded after the merge to the customer whose identifier it carries', async () => {
    const { target, source, phone, email } = await targetAndSource();
    const { mergeId } = await api.arrangeMerge(target, source);
    const bySourcePhone = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(1) }));
    const byTargetEmail = await api.arrangeTouchpoint(touchpointBody({ channel: 'email', identifiers: { email }, occurredAt: minutesAgo(1) }));

    await api.undo(mergeId);

    const [sources, targets] = await Promise.all([api.timeline(source), api.timeline(target)]);
    expect(ids(sources.items)).toContain(bySourcePhone.touchpointId);
    expect(ids(targets.items)).toContain(byTargetEmail.touchpointId);
    expect(ids(targets.items)).not.toContain(bySourcePhone.touchpointId);
  });

  it('gives the source the weaker identifiers such a touchpoint attached to the survivor, so an erase of the survivor leaves them whole', async () => {
    const { target, source, phone } = await targetAndSource();
    const { mergeId } = await api.arrangeMerge(target, source);
    const cookie = `cookie-${unique()}`;
    const bySourcePhone = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone, anonymousId: cookie }, occurredAt: minutesAgo(1) }));

    await api.undo(mergeId);

    const [sourceIds, targetIds] = await Promise.all([api.identifiers(source), api.identifiers(target)]);
    const values = (body: { identifiers: Array<{ value: string }> }) => body.identifiers.map((entry) => entry.value);
    expect(values(sourceIds.body)).toContain(cookie);
    expect(values(targetIds.body)).not.toContain(cookie);
    expect((await api.lookup('anonymousId', cookie)).body.customer?.customerId).toBe(source);
    expect((await client.send('DELETE', `/v1/customers/${target}`)).status).toBe(200);
    const [touchpoint] = (await api.timeline(source)).items.filter((item) => item.touchpointId === bySourcePhone.touchpointId);
    expect(touchpoint?.identifiers).toMatchObject({ phone, anonymousId: cookie });
  });

  it('answers an undo posted again with the undone merge (a retry whose first try committed)', async () => {
    const { target, source } = await targetAndSource();
    const { mergeId } = await api.arrangeMerge(target, source);
    const first = await api.undo(mergeId);

    const response = await api.undo(mergeId);

    expect(response.status).toBe(200);
    expect(response.body).toEqual(first.body);
  });

  it('answers 404 for a merge nobody made', async () => {
    const response = await api.undo('mrg_01JDQ7ZKX3F8V6M2N4P5R7S9TB');

    expect(response.status).toBe(404);
  });

  it('answers 409 naming the blocking merge when the survivor was merged again later', async () => {
    const { target, source } = await targetAndSource();
    const later = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: uniquePhone().e164 } }));
    const first = await api.arrangeMerge(target, source);
    const second = await api.arrangeMerge(later.customerId, target);

    const response = await api.undo(first.mergeId);

    expect(response.status).toBe(409);
    expect(response.body.blockingMergeId).toBe(second.mergeId);
    expect(response.body.detail).toContain(second.mergeId);
  });

  it('undoes both merges in the right order, the later first, restoring all three customers', async () => {
    const { target, source, email, phone } = await targetAndSource();
    const laterPhone = uniquePhone().e164;
    const later = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: laterPhone }, occurredAt: minutesAgo(5) }));
    const before = await Promise.all([
      api.views(target, { type: 'email', value: email }),
      api.views(source, { type: 'phone', value: phone }),
      api.views(later.customerId, { type: 'phone', value: laterPhone }),
    ]);
    const first = await api.arrangeMerge(target, source);
    const second = await api.arrangeMerge(later.customerId, target);

    const undone = [(await api.undo(second.mergeId)).status, (await api.undo(first.mergeId)).status];

    const after = await Promise.all([
      api.views(target, { type: 'email', value: email }),
      api.views(source, { type: 'phone', value: phone }),
      api.views(later.customerId, { type: 'phone', value: laterPhone }),
    ]);
    expect(undone).toEqual([200, 200]);
    expect(after).toEqual(before);
  });

  it('gives a phone both customers shared back to both of them', async () => {
    const { target, source, phone } = await targetAndSource();
    await api.arrangeLink(target, { type: 'phone', value: phone, shared: true });
    const before = await Promise.all([api.identifiers(target), api.identifiers(source), api.lookup('phone', phone)]);
    const { mergeId } = await api.arrangeMerge(target, source);

    await api.undo(mergeId);

    const after = await Promise.all([api.identifiers(target), api.identifiers(source), api.lookup('phone', phone)]);
    expect(after.map((response) => [response.status, response.body])).toEqual(before.map((response) => [response.status, response.body]));
  });

  it('gives an ambiguous touchpoint of the source back its ambiguity flag', async () => {
    const { target, source, phone } = await targetAndSource();
    const household = await api.arrangeTouchpoint(touchpointBody({ channel: 'letter', identifiers: { email: uniqueEmail() } }));
    await api.arrangeLink(household.customerId, { type: 'phone', value: phone, shared: true });
    const ambiguous = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone } }));
    const owner = ambiguous.customerId === source ? source : household.customerId;
    const before = (await api.timeline(owner)).items.find((item) => item.touchpointId === ambiguous.touchpointId);
    const { mergeId } = await api.arrangeMerge(target, owner);

    await api.undo(mergeId);

    const after = (await api.timeline(owner)).items.find((item) => item.touchpointId === ambiguous.touchpointId);
    expect(before?.ambiguity).toBeDefined();
    expect(after).toEqual(before);
  });
});
