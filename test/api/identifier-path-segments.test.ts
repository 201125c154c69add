import { describe, expect, it } from 'vitest';
import { countItems } from '../helpers/dynamodb.ts';
import { useTestApiClient } from '../helpers/local-api.ts';
import { touchpointBody, unique, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * An identifier is unlinked by naming its value in the path
 * (`DELETE /v1/customers/{id}/identifiers/{type}/{value}`). A value that cannot be one path segment
 * could be recorded and linked but never unlinked, so it is refused where it enters: on ingest and
 * on link, with a 422 and nothing stored. Everything else that is one segment links and unlinks
 * over HTTP, however odd.
 */
const client = useTestApiClient();

/** `.` and `..` are dot segments (also as `%2E`); API Gateway's HTTP API decodes `%2F`, `%3F`, `%23` before it routes. */
const dotSegments = ['.', '..', ' .. '];
const separators = ['a/b', '/', '../x', 'INV/2026/001', 'a?b', '?', 'x#y', '#'];
/** Near misses that are single segments: they must keep working. */
const reachable = ['...', '..a', '%2E%2E', '%2F', '\\', 'a;b=c&d', '+%@:', 'ü😀'];

const identifierFields = [
  { type: 'accountId', identifiers: (value: string) => ({ accountId: value }), path: 'identifiers.accountId', unreachable: [...dotSegments, ...separators] },
  {
    type: 'invoiceNumber',
    identifiers: (value: string) => ({ invoiceNumber: value }),
    path: 'identifiers.invoiceNumber',
    unreachable: [...dotSegments, ...separators],
  },
  {
    type: 'anonymousId',
    identifiers: (value: string) => ({ anonymousId: value }),
    path: 'identifiers.anonymousId',
    unreachable: [...dotSegments, ...separators],
  },
  // Named as `crm:<id>`: an id `..` makes the segment `crm:..`, which is no dot segment.
  {
    type: 'externalId',
    identifiers: (value: string) => ({ externalId: { system: 'crm', id: value } }),
    path: 'identifiers.externalId.id',
    unreachable: separators,
  },
] as const;

async function newCustomer(): Promise<string> {
  const posted = await client.post('/v1/touchpoints', touchpointBody({ channel: 'call', identifiers: { phone: uniquePhone().e164 } }));
  expect(posted.status).toBe(201);
  return posted.body.customerId as string;
}

describe('identifier values that cannot be a path segment', () => {
  it.each(identifierFields.map((field) => [field.type, field] as const))(
    'a touchpoint with such a %s is refused with 422 naming the field, nothing stored',
    async (_type, field) => {
      const before = await countItems();
      for (const value of field.unreachable) {
        const response = await client.post('/v1/touchpoints', touchpointBody({ channel: 'call', identifiers: field.identifiers(value) }));

        expect(response.status, value).toBe(422);
        expect(response.body.errors, value).toEqual(
          expect.arrayContaining([expect.objectContaining({ path: field.path, message: expect.stringMatching(/URL path/) })]),
        );
      }
      expect(await countItems()).toBe(before);
    },
  );

  it.each(identifierFields.map((field) => [field.type, field] as const))('linking such a %s is refused with 422, nothing stored', async (_type, field) => {
    const customerId = await newCustomer();
    const before = await countItems();
    for (const value of field.unreachable) {
      const linkValue = field.type === 'externalId' ? `crm:${value}` : value;
      const response = await client.post(`/v1/customers/${customerId}/identifiers`, { type: field.type, value: linkValue });

      expect(response.status, value).toBe(422);
      expect(response.body.errors, value).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: 'value', message: expect.stringMatching(/URL path/) })]),
      );
    }
    expect(await countItems()).toBe(before);
  });

  it('shows why: a dot segment never reaches the unlink route, even encoded', async () => {
    const customerId = await newCustomer();
    for (const segment of ['.', '%2E', '..', '%2E%2E', '%2e']) {
      const response = await client.send('DELETE', `/v1/customers/${customerId}/identifiers/accountId/${segment}`);
      expect(response.status, segment).toBe(404);
      expect(response.body.type, segment).toMatch(/route-not-found/);
    }
  });
});

describe('identifier values that are one path segment, however odd', () => {
  it.each(identifierFields.flatMap((field) => reachable.map((value) => [field.type, JSON.stringify(value), field, value] as const)))(
    '%s %s is recorded, then unlinked over HTTP by the value as a path segment',
    async (_type, _shown, field, raw) => {
      // Unique per case, so that no earlier case's customer owns it; the odd part stays at both ends.
      const value = `${raw}${unique()}${raw}`;
      const recorded = await client.post('/v1/touchpoints', touchpointBody({ channel: 'call', identifiers: field.identifiers(value) }));
      expect(recorded.status).toBe(201);
      const customerId = recorded.body.customerId as string;
      const stored = field.type === 'externalId' ? `crm:${value}` : value;

      const unlinked = await client.send('DELETE', `/v1/customers/${customerId}/identifiers/${field.type}/${encodeURIComponent(stored)}`);
      expect(unlinked.status).toBe(204);
      const listed = await client.get(`/v1/customers/${customerId}/identifiers`);
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain(JSON.stringify(stored).slice(1, -1));
    },
  );

  it.each(['.', '..'])('an external id %j is recorded and unlinked as the segment crm:%s', async (id) => {
    const system = `crm${unique()}`.replace(/[^A-Za-z0-9_.-]/g, '');
    const recorded = await client.post('/v1/touchpoints', touchpointBody({ channel: 'call', identifiers: { externalId: { system, id } } }));
    expect(recorded.status).toBe(201);

    const unlinked = await client.send('DELETE', `/v1/customers/${recorded.body.customerId}/identifiers/externalId/${encodeURIComponent(`${system}:${id}`)}`);
    expect(unlinked.status).toBe(204);
  });

  it('linking one such value and unlinking it again round-trips', async () => {
    const customerId = await newCustomer();
    const value = `..${unique()}..`;
    const linked = await client.post(`/v1/customers/${customerId}/identifiers`, { type: 'accountId', value });
    expect(linked.status).toBe(201);

    const unlinked = await client.send('DELETE', `/v1/customers/${customerId}/identifiers/accountId/${encodeURIComponent(value)}`);
    expect(unlinked.status).toBe(204);
  });
});
