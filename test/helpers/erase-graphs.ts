import { expect } from 'vitest';
import { detailsFor, minutesAgo, touchpointBody, unique, uniqueEmail, uniquePhone } from '../fixtures/touchpoints.ts';
import { findTraces } from './erased-traces.ts';
import { graphProblems } from './identity-graph.ts';
import { type IdentifierType, identityApi } from './identity-api.ts';
import type { JsonClient } from './json-client.ts';

/**
 * Identity graphs of every shape erase must handle, built through the API, and the one check each
 * must pass: after the erase no item holds the person's ids or values (keyed suppression hashes
 * aside), the other customers are whole (graph invariants, their shared identifiers still theirs),
 * and everything the erase removed or redacted was in the export taken just before.
 */

type Item = Record<string, unknown>;
type Api = ReturnType<typeof identityApi>;

export interface ErasureCase {
  /** The id the erase is asked for (any of the person's ids). */
  eraseId: string;
  /** Identifier values that are the person's alone: none may remain. */
  values: string[];
  /** Customers that are not the person: they must stay whole. */
  others: string[];
  /** Identifiers shared with the others: after the erase each still resolves to one of them. */
  keptByOthers?: Array<{ type: IdentifierType; value: string }>;
}

export async function person(api: Api, minutesBefore = 30, extra: Record<string, unknown> = {}) {
  const phone = uniquePhone().e164;
  const email = uniqueEmail();
  const outcome = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone, email, ...extra }, occurredAt: minutesAgo(minutesBefore) }));
  return { ...outcome, phone, email };
}

export interface ErasureTools {
  /** Stands in for a link lost in a merge (issue 10, class 3): the profile no longer lists the identifier. */
  forgetProfileEntry(customerId: string, identifierKey: string): Promise<void>;
  /** A merge cut short right after it began: the source frozen (merged), nothing moved yet. */
  beginMergeOnly(targetCustomerId: string, sourceCustomerId: string): Promise<void>;
  /** The scheduled job that finishes merges cut short (finish-interrupted-merges), run now. */
  finishCutShortMerges(): Promise<void>;
}

/** A merge cut short holds its target's identity lock: an erase waits for it (409) until the scheduled repair finishes it. */
async function eraseWaitsForTheRepair(client: JsonClient, tools: ErasureTools, eraseId: string): Promise<void> {
  expect((await client.send('DELETE', `/v1/customers/${eraseId}`)).status).toBe(409);
  await tools.finishCutShortMerges();
}

export function erasureCases(client: JsonClient, tools: ErasureTools): Record<string, () => Promise<ErasureCase>> {
  const api = identityApi(client);
  return {
    'the owner of a phone shared with another customer': async () => {
      const owner = await person(api, 60);
      const sharer = await person(api, 10);
      await api.arrangeLink(sharer.customerId, { type: 'phone', value: owner.phone, shared: true });
      return { eraseId: owner.customerId, values: [owner.email], others: [sharer.customerId], keptByOthers: [{ type: 'phone', value: owner.phone }] };
    },
    'a customer sharing another customer’s email': async () => {
      const owner = await person(api, 60);
      const sharer = await person(api, 10);
      await api.arrangeLink(sharer.customerId, { type: 'email', value: owner.email, shared: true });
      return {
        eraseId: sharer.customerId,
        values: [sharer.phone, sharer.email],
        others: [owner.customerId],
        keptByOthers: [{ type: 'email', value: owner.email }],
      };
    },
    'the owner of a landline shared by several': async () => {
      const owner = await person(api, 90);
      const first = await person(api, 40);
      const second = await person(api, 10);
      await api.arrangeLink(first.customerId, { type: 'phone', value: owner.phone, shared: true });
      await api.arrangeLink(second.customerId, { type: 'phone', value: owner.phone, shared: true });
      return {
        eraseId: owner.customerId,
        values: [owner.email],
        others: [first.customerId, second.customerId],
        keptByOthers: [{ type: 'phone', value: owner.phone }],
      };
    },
    'one of several sharers of a landline': async () => {
      const owner = await person(api, 90);
      const first = await person(api, 40);
      const second = await person(api, 10);
      await api.arrangeLink(first.customerId, { type: 'phone', value: owner.phone, shared: true });
      await api.arrangeLink(second.customerId, { type: 'phone', value: owner.phone, shared: true });
      return {
        eraseId: first.customerId,
        values: [first.phone, first.email],
        others: [owner.customerId, second.customerId],
        keptByOthers: [{ type: 'phone', value: owner.phone }],
      };
    },
    'a sharer of a phone whose owner was merged into another customer later': async () => {
      const owner = await person(api, 90);
      const sharer = await person(api, 60);
      const survivor = await person(api, 30);
      await api.arrangeLink(sharer.customerId, { type: 'phone', value: owner.phone, shared: true });
      await api.arrangeMerge(survivor.customerId, owner.customerId);
      return {
        eraseId: sharer.customerId,
        values: [sharer.phone, sharer.email],
        others: [survivor.customerId],
        keptByOthers: [{ type: 'phone', value: owner.phone }],
      };
    },
    'the owner of a phone whose sharer was merged into another customer later': async () => {
      const owner = await person(api, 90);
      const sharer = await person(api, 60);
      const survivor = await person(api, 30);
      await api.arrangeLink(sharer.customerId, { type: 'phone', value: owner.phone, shared: true });
      await api.arrangeMerge(survivor.customerId, sharer.customerId);
      return {
        eraseId: owner.customerId,
        values: [owner.email],
        others: [survivor.customerId],
        keptByOthers: [{ type: 'phone', value: owner.phone }],
      };
    },
    'a customer parted by an undo from the survivor, which kept a call carrying its phone': async () => {
      const parted = await person(api, 90);
      const survivor = await person(api, 60);
      const { mergeId } = await api.arrangeMerge(survivor.customerId, parted.customerId);
      // The survivor's email outranks the phone: the undo leaves the call with the survivor.
      await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: parted.phone, email: survivor.email }, occurredAt: minutesAgo(5) }));
      expect((await api.undo(mergeId)).status).toBe(200);
      return { eraseId: parted.customerId, values: [parted.phone, parted.email], others: [survivor.customerId] };
    },
    'the survivor of an undone merge, whose email a touchpoint given back to the other carries': async () => {
      const parted = await person(api, 90);
      const survivor = await person(api, 60);
      const { mergeId } = await api.arrangeMerge(survivor.customerId, parted.customerId);
      // Naming the merged-away customer, it goes back to it with the undo.
      await api.arrangeTouchpoint(touchpointBody({ identifiers: { customerId: parted.customerId, email: survivor.email }, occurredAt: minutesAgo(5) }));
      expect((await api.undo(mergeId)).status).toBe(200);
      return { eraseId: survivor.customerId, values: [survivor.phone, survivor.email], others: [parted.customerId] };
    },
    'the survivor of an undone merge, whose answer to a keyed call given back to the other names it': async () => {
      const parted = await person(api, 90);
      const survivor = await person(api, 60);
      const { mergeId } = await api.arrangeMerge(survivor.customerId, parted.customerId);
      // Recorded on the survivor (the phone resolved to it), so its Idempotency-Key's answer names the survivor.
      const call = touchpointBody({ identifiers: { phone: parted.phone }, occurredAt: minutesAgo(5) });
      const recorded = await client.post('/v1/touchpoints', call, { 'idempotency-key': `given-back-${unique()}` });
      expect(recorded.body).toMatchObject({ customerId: survivor.customerId });
      // Its one identifier is the parted customer's: the undo gives it back.
      expect((await api.undo(mergeId)).status).toBe(200);
      return { eraseId: survivor.customerId, values: [survivor.phone, survivor.email], others: [parted.customerId] };
    },
    'the holder of an invoice number another customer queried, that customer since merged into a third': async () => {
      const invoiceNumber = `INV-${unique()}`;
      const holder = await person(api, 90, { invoiceNumber });
      const querier = await person(api, 60);
      // The querier's email outranks the invoice number: the query is the querier's, and its card quotes the number.
      await api.arrangeTouchpoint(
        touchpointBody({
          channel: 'invoice_query',
          identifiers: { email: querier.email, invoiceNumber },
          details: { ...detailsFor('invoice_query'), invoiceNumber },
          occurredAt: minutesAgo(30),
        }),
      );
      const survivor = await person(api, 20);
      await api.arrangeMerge(survivor.customerId, querier.customerId);
      return { eraseId: holder.customerId, values: [holder.phone, holder.email, invoiceNumber], others: [survivor.customerId] };
    },
    "a customer parted by an undo, whose invoice number a third customer's call carried while the merge stood": async () => {
      const invoiceNumber = `INV-${unique()}`;
      const parted = await person(api, 90, { invoiceNumber });
      const survivor = await person(api, 60);
      const third = await person(api, 30);
      const { mergeId } = await api.arrangeMerge(survivor.customerId, parted.customerId);
      // The third customer's email outranks the number, then the survivor's: the call is the third's, pointing to the survivor.
      await api.arrangeTouchpoint(touchpointBody({ identifiers: { email: third.email, invoiceNumber }, occurredAt: minutesAgo(5) }));
      expect((await api.undo(mergeId)).status).toBe(200);
      return { eraseId: parted.customerId, values: [parted.phone, parted.email, invoiceNumber], others: [survivor.customerId, third.customerId] };
    },
    'a customer parted by an undo from the survivor, which had moved its call on to a third customer': async () => {
      const parted = await person(api, 90);
      const survivor = await person(api, 60);
      const third = await person(api, 30);
      const { mergeId } = await api.arrangeMerge(survivor.customerId, parted.customerId);
      expect((await api.move(parted.touchpointId, third.customerId)).status).toBe(200);
      expect((await api.undo(mergeId)).status).toBe(200);
      return { eraseId: parted.customerId, values: [parted.phone, parted.email], others: [survivor.customerId, third.customerId] };
    },
    'a customer parted by an undo, whose call staff moved on from the survivor, back and on again': async () => {
      const parted = await person(api, 90);
      const survivor = await person(api, 60);
      const third = await person(api, 30);
      const { mergeId } = await api.arrangeMerge(survivor.customerId, parted.customerId);
      for (const to of [third, survivor, third]) expect((await api.move(parted.touchpointId, to.customerId)).status).toBe(200);
      expect((await api.undo(mergeId)).status).toBe(200);
      return { eraseId: parted.customerId, values: [parted.phone, parted.email], others: [survivor.customerId, third.customerId] };
    },
    'a chain of merges, asked for by the first merged-away id': async () => {
      const survivor = await person(api, 90);
      const middle = await person(api, 60);
      const first = await person(api, 30);
      await api.arrangeMerge(middle.customerId, first.customerId);
      await api.arrangeMerge(survivor.customerId, middle.customerId);
      const bystander = await person(api, 10);
      return {
        eraseId: first.customerId,
        values: [survivor.phone, survivor.email, middle.phone, middle.email, first.phone, first.email],
        others: [bystander.customerId],
      };
    },
    'an anonymous visitor merged in when they signed in': async () => {
      const cookie = `ck-${unique()}`;
      const visit = await api.arrangeTouchpoint(touchpointBody({ channel: 'web_visit', identifiers: { anonymousId: cookie }, occurredAt: minutesAgo(50) }));
      const known = await person(api, 40);
      const signIn = await api.arrangeTouchpoint(
        touchpointBody({ channel: 'web_visit', identifiers: { anonymousId: cookie, email: known.email }, occurredAt: minutesAgo(5) }),
      );
      expect(signIn.merges?.map((merge) => merge.sourceCustomerId)).toEqual([visit.customerId]);
      return { eraseId: known.customerId, values: [cookie, known.phone, known.email], others: [(await person(api, 10)).customerId] };
    },
    'touchpoints moved in and out by staff': async () => {
      const erased = await person(api, 60);
      const other = await person(api, 50);
      const outgoing = await api.arrangeTouchpoint(
        touchpointBody({
          identifiers: { phone: erased.phone },
          summary: `Called back on ${erased.phone}, confirmed ${erased.email}`,
          occurredAt: minutesAgo(40),
        }),
      );
      const incoming = await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: other.phone }, occurredAt: minutesAgo(30) }));
      expect((await api.move(outgoing.touchpointId, other.customerId)).status).toBe(200);
      expect((await api.move(incoming.touchpointId, erased.customerId)).status).toBe(200);
      return { eraseId: erased.customerId, values: [erased.phone, erased.email], others: [other.customerId] };
    },
    'merge candidates on both sides': async () => {
      const erased = await person(api, 60, { accountId: `ACC-${unique()}` });
      const other = await person(api, 50, { accountId: `ACC-${unique()}` });
      const erasedAccount = `ACC-${unique()}`;
      await api.arrangeLink(erased.customerId, { type: 'accountId', value: erasedAccount });
      // The other's account with the erased email: recorded on the other, a candidate naming the erased.
      const otherAccount = (await api.identifiers(other.customerId)).body.identifiers.find(
        (identifier: { type: string }) => identifier.type === 'accountId',
      ).value;
      await api.arrangeTouchpoint(
        touchpointBody({ channel: 'email', identifiers: { accountId: otherAccount, email: erased.email }, occurredAt: minutesAgo(20) }),
      );
      // And the other way round: the erased account with the other's email, recorded on the erased.
      await api.arrangeTouchpoint(
        touchpointBody({ channel: 'email', identifiers: { accountId: erasedAccount, email: other.email }, occurredAt: minutesAgo(15) }),
      );
      expect((await api.openCandidates()).some((candidate) => candidate.customerIds.includes(erased.customerId))).toBe(true);
      return { eraseId: erased.customerId, values: [erased.phone, erased.email, erasedAccount], others: [other.customerId] };
    },
    'ambiguous touchpoints on a shared landline': async () => {
      const owner = await person(api, 60);
      const sharer = await person(api, 50);
      await api.arrangeLink(sharer.customerId, { type: 'phone', value: owner.phone, shared: true });
      // Recorded on the most recent candidate, naming the other: first on the sharer, then on the owner.
      await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: owner.phone }, occurredAt: minutesAgo(20) }));
      await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: owner.phone, email: owner.email }, occurredAt: minutesAgo(10) }));
      await api.arrangeTouchpoint(touchpointBody({ identifiers: { phone: owner.phone }, occurredAt: minutesAgo(5) }));
      return { eraseId: sharer.customerId, values: [sharer.email], others: [owner.customerId], keptByOthers: [{ type: 'phone', value: owner.phone }] };
    },
    'a merge undone before the erase': async () => {
      const erased = await person(api, 60);
      const other = await person(api, 50);
      const { mergeId } = await api.arrangeMerge(erased.customerId, other.customerId);
      expect((await api.undo(mergeId)).status).toBe(200);
      return { eraseId: erased.customerId, values: [erased.phone, erased.email], others: [other.customerId] };
    },
    'a merge into the person cut short after it began': async () => {
      const erased = await person(api, 60);
      const source = await person(api, 50);
      await tools.beginMergeOnly(erased.customerId, source.customerId);
      await eraseWaitsForTheRepair(client, tools, erased.customerId);
      return { eraseId: erased.customerId, values: [erased.phone, erased.email, source.phone, source.email], others: [(await person(api, 10)).customerId] };
    },
    'a merge of the person into another cut short, asked for by the frozen source': async () => {
      const target = await person(api, 60);
      const erased = await person(api, 50);
      await tools.beginMergeOnly(target.customerId, erased.customerId);
      await eraseWaitsForTheRepair(client, tools, erased.customerId);
      return { eraseId: erased.customerId, values: [erased.phone, erased.email, target.phone, target.email], others: [(await person(api, 10)).customerId] };
    },
    'an identifier whose link the profile lost': async () => {
      const erased = await person(api, 60);
      const account = `ACC-${unique()}`;
      await api.arrangeLink(erased.customerId, { type: 'accountId', value: account });
      await tools.forgetProfileEntry(erased.customerId, `accountId#${account}`);
      return { eraseId: erased.customerId, values: [erased.phone, erased.email, account], others: [(await person(api, 10)).customerId] };
    },
  };
}

/** Every page of the export of a customer, as one JSON text (what the data subject receives). */
export async function wholeExport(client: JsonClient, customerId: string): Promise<string> {
  const pages: unknown[] = [];
  let cursor: string | null = null;
  let id = customerId;
  do {
    const page = await client.get(`/v1/customers/${id}/export?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    pages.push(page.body);
    id = page.body.customerId;
    cursor = page.body.nextCursor;
  } while (cursor);
  return JSON.stringify(pages);
}

/**
 * The ids and identifier values in what the erase took away: every such string of a deleted item,
 * and every one a redacted item lost. Each must have been in the export.
 */
export function erasedStrings(before: Item[], after: Item[], needles: readonly string[]): string[] {
  const afterByKey = new Map(after.map((item) => [`${item.pk}\u0000${item.sk}`, item]));
  const interesting = (text: string) => /^(cus|tp|mrg)_[0-9A-Z]{26}$/.test(text) || needles.includes(text);
  const found = new Set<string>();
  for (const item of before) {
    const now = afterByKey.get(`${item.pk}\u0000${item.sk}`);
    const remaining = new Set(now ? leaves(now) : []);
    for (const text of leaves(item)) if (interesting(text) && !remaining.has(text)) found.add(text);
  }
  return [...found];
}

function leaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, member]) => [key, ...leaves(member)]);
  return [];
}

/** How many merges/moves and touchpoints a customer's history holds, and which. */
async function historyOf(api: Api, customerId: string) {
  const [merges, timeline] = await Promise.all([api.merges(customerId), api.timeline(customerId)]);
  return {
    merges: (merges.body.items as Array<{ mergeId: string }>).map((merge) => merge.mergeId).sort(),
    touchpoints: timeline.items.map((touchpoint) => touchpoint.touchpointId as string).sort(),
  };
}

export interface ErasureCheck {
  before: Item[];
  after: Item[];
  exported: string;
  erasedIds: string[];
}

/** The assertions every shape must pass; `scan` reads the whole table. */
export async function expectCleanErasure(
  client: JsonClient,
  scan: () => Promise<Item[]>,
  shape: ErasureCase,
  options: { suppress?: boolean } = {},
): Promise<ErasureCheck> {
  const api = identityApi(client);
  const exported = await wholeExport(client, shape.eraseId);
  const othersBefore = await Promise.all(shape.others.map((other) => historyOf(api, other)));
  const before = await scan();
  const erase = await client.send('DELETE', `/v1/customers/${shape.eraseId}${options.suppress ? '?suppress=true' : ''}`);
  expect(erase.status, JSON.stringify(erase.body)).toBe(200);
  const after = await scan();
  const erasedIds: string[] = erase.body.customerIds;
  expect(erasedIds).toContain(shape.eraseId);
  for (const other of shape.others) expect(erasedIds).not.toContain(other);

  expect(findTraces(after, [...erasedIds, ...shape.values])).toEqual([]);
  expect(graphProblems(after, { customerIds: shape.others })).toEqual([]);
  for (const other of shape.others) expect((await api.customer(other)).status).toBe(200);
  // Their records that mentioned the person are redacted, not deleted: the same merges and touchpoints.
  expect(await Promise.all(shape.others.map((other) => historyOf(api, other)))).toEqual(othersBefore);
  for (const kept of shape.keptByOthers ?? []) {
    // Still usable by those who hold it: never suppressed, calls on it still recorded.
    expect((await api.postTouchpoint(touchpointBody({ identifiers: { [kept.type]: kept.value } }))).status).toBe(201);
    const lookup = await api.lookup(kept.type, kept.value);
    expect([200, 300]).toContain(lookup.status);
    expect(JSON.stringify(lookup.body)).not.toMatch(new RegExp(erasedIds.join('|')));
  }
  for (const erasedId of erasedIds) expect((await api.customer(erasedId)).status).toBe(404);

  const missing = erasedStrings(before, after, [...erasedIds, ...shape.values]).filter((text) => !exported.includes(text));
  expect(missing, 'erased or redacted, but not in the export').toEqual([]);
  return { before, after, exported, erasedIds };
}
