import { describe, expect, it } from 'vitest';
import { minutesAgo, touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';
import type { JsonResponse } from '../helpers/json-client.ts';
import { useTestApiClient } from '../helpers/local-api.ts';

/**
 * Issue 10, class 7: a timeline paged while its customer is merged away goes on on the survivor,
 * under the id it was started with, and ends only when every touchpoint has been shown; never
 * early with `nextCursor: null`, never a 422 for the original id.
 */

const client = useTestApiClient();

/** A customer with `count` calls, the newest `newestMinutesAgo` minutes ago, one minute apart. */
async function customerWithCalls(count: number, newestMinutesAgo: number): Promise<{ customerId: string; touchpointIds: string[] }> {
  const phone = uniquePhone().e164;
  const touchpointIds: string[] = [];
  let customerId = '';
  for (let index = count - 1; index >= 0; index -= 1) {
    const response = await client.post('/v1/touchpoints', touchpointBody({ identifiers: { phone }, occurredAt: minutesAgo(newestMinutesAgo + index) }));
    expect(response.status).toBe(201);
    customerId = response.body.customerId;
    touchpointIds.push(response.body.touchpointId);
  }
  return { customerId, touchpointIds };
}

function merge(targetId: string, sourceCustomerId: string): Promise<JsonResponse> {
  return client.send('POST', `/v1/customers/${targetId}/merge`, {
    body: JSON.stringify({ sourceCustomerId, reason: 'Same person, confirmed on the phone' }),
    headers: { 'content-type': 'application/json' },
  });
}

interface Paged {
  ids: string[];
  pages: JsonResponse[];
}

/** Pages a timeline to its end under one customer id, calling `between(page)` after each page. */
async function pageThrough(customerId: string, limit: number, between: (page: number) => Promise<void>): Promise<Paged> {
  const ids: string[] = [];
  const pages: JsonResponse[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    const response = await client.get(`/v1/customers/${customerId}/timeline?${query}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    pages.push(response);
    ids.push(...response.body.items.map((item: { touchpointId: string }) => item.touchpointId));
    cursor = response.body.nextCursor;
    await between(pages.length);
  } while (cursor && pages.length < 100);
  return { ids, pages };
}

describe('a timeline paged across a merge', () => {
  it('goes on on the survivor after the customer is merged away between two pages, showing every touchpoint once', async () => {
    const source = await customerWithCalls(50, 10);
    const survivor = await customerWithCalls(5, 100);

    const paged = await pageThrough(source.customerId, 7, async (page) => {
      if (page === 2) expect((await merge(survivor.customerId, source.customerId)).status).toBe(201);
    });

    expect(new Set(paged.ids).size).toBe(paged.ids.length);
    expect(paged.ids).toEqual(expect.arrayContaining(source.touchpointIds));
    // The survivor's own touchpoints are older than the source's: they follow once the source's are shown.
    expect(paged.ids).toEqual([...source.touchpointIds].reverse().concat([...survivor.touchpointIds].reverse()));
    expect(paged.pages.at(-1)?.body).toMatchObject({ customerId: survivor.customerId, redirectedFrom: source.customerId, nextCursor: null });
  });

  it('shows every touchpoint once while the merge runs interleaved with the paging', async () => {
    const source = await customerWithCalls(50, 10);
    const survivor = await customerWithCalls(3, 100);
    let merging: Promise<JsonResponse> | undefined;

    const paged = await pageThrough(source.customerId, 3, async (page) => {
      // Started after the first page and not awaited: the pages that follow race the merge's moves.
      if (page === 1) merging = merge(survivor.customerId, source.customerId);
    });

    expect((await merging)?.status).toBe(201);
    expect(new Set(paged.ids).size).toBe(paged.ids.length);
    expect(paged.ids).toEqual(expect.arrayContaining(source.touchpointIds));
    expect(paged.ids).toEqual(expect.arrayContaining(survivor.touchpointIds));
  });

  it('accepts page 2 under the original id after the merge, where it used to answer 422', async () => {
    const source = await customerWithCalls(4, 10);
    const survivor = await customerWithCalls(1, 100);
    const first = await client.get(`/v1/customers/${source.customerId}/timeline?limit=2`);
    expect((await merge(survivor.customerId, source.customerId)).status).toBe(201);

    const second = await client.get(`/v1/customers/${source.customerId}/timeline?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);

    expect(second.status).toBe(200);
    expect(second.body.items.map((item: { touchpointId: string }) => item.touchpointId)).toEqual([...source.touchpointIds].reverse().slice(2, 4));
    expect(second.body).toMatchObject({ customerId: survivor.customerId, redirectedFrom: source.customerId });
  });

  it("refuses the source's cursor on the survivor's own timeline with 400 (it pages the source's request)", async () => {
    const source = await customerWithCalls(4, 10);
    const survivor = await customerWithCalls(1, 100);
    const first = await client.get(`/v1/customers/${source.customerId}/timeline?limit=2`);
    expect((await merge(survivor.customerId, source.customerId)).status).toBe(201);

    const response = await client.get(`/v1/customers/${survivor.customerId}/timeline?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);

    expect(response.status).toBe(400);
  });
});

describe('an export paged while its customer is merged away', () => {
  it('answers the old cursor with a 400 to start again, and the fresh export holds every touchpoint', async () => {
    const source = await customerWithCalls(8, 30);
    const target = await customerWithCalls(1, 5);
    const first = await client.get(`/v1/customers/${source.customerId}/export?limit=3`);
    expect(first.body.nextCursor).toEqual(expect.any(String));

    expect((await merge(target.customerId, source.customerId)).status).toBe(201);
    const continued = await client.get(`/v1/customers/${source.customerId}/export?limit=3&cursor=${first.body.nextCursor}`);
    const exported: string[] = [];
    let cursor: string | null = null;
    do {
      const page: JsonResponse = await client.get(`/v1/customers/${source.customerId}/export?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      exported.push(...page.body.touchpoints.map((touchpoint: { touchpointId: string }) => touchpoint.touchpointId));
      cursor = page.body.nextCursor;
    } while (cursor);

    // Never a silently short export: the cursor of the customer as it was says to start again.
    expect(continued.status).toBe(400);
    expect(continued.body.type).toContain('invalid-cursor');
    expect(exported.sort()).toEqual([...source.touchpointIds, ...target.touchpointIds].sort());
  });
});
