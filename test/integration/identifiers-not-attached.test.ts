import { beforeAll, describe, expect, it } from 'vitest';
import { handler as ingestBatchHandler } from '../../functions/ingest-touchpoint-batch/handler.ts';
import { handler as ingestHandler } from '../../functions/ingest-touchpoint/handler.ts';
import { maxIdentifiersPerCustomer } from '../../shared/domain/bounds.ts';
import { openApiDocument } from '../../shared/http/openapi.ts';
import { ingestResultSchema } from '../../shared/schemas/touchpoint.ts';
import * as z from '../../shared/schemas/zod.ts';
import { apiEvent, type InvokeResult, invoke } from '../helpers/api-event.ts';
import { authorizerContext } from '../helpers/credentials.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { getCustomer, recordTouchpoint } from '../helpers/handlers.ts';
import { detailsFor, unique, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * A customer at the identifier bound still gets its touchpoints, without their new identifiers.
 * A key that may read customers is told which types were left off; a write-only key gets the
 * same receipt as for any customer (the bound is stored state).
 */
const site = authorizerContext(['touchpoints:write:web_visit', 'customers:read'], 'shop-backend');
const publicSite = authorizerContext(['touchpoints:write:web_visit'], 'shop-page');

function post(body: unknown, scopes = site, headers: Record<string, string> = {}): Promise<InvokeResult> {
  return invoke(ingestHandler, apiEvent({ method: 'POST', routePath: '/v1/touchpoints', body, headers, authorizer: scopes }));
}

function visit(identifiers: Record<string, unknown>) {
  return { channel: 'web_visit', identifiers, details: detailsFor('web_visit') };
}

let full: string;
let roomy: string;

beforeAll(async () => {
  await createTestTable();
  full = (await recordTouchpoint({ channel: 'call', identifiers: { phone: uniquePhone().e164 }, source: 'pbx', details: detailsFor('call') })).customerId;
  for (let index = 1; index < maxIdentifiersPerCustomer; index += 1) {
    await recordTouchpoint({ ...visit({ customerId: full, anonymousId: `ck-${unique()}` }), source: 'shop-backend' });
  }
  roomy = (await recordTouchpoint({ channel: 'call', identifiers: { phone: uniquePhone().e164 }, source: 'pbx', details: detailsFor('call') })).customerId;
});

describe('a key that may read customers', () => {
  it('is told the type of a new identifier left off a customer at the bound, in the documented schema', async () => {
    const answer = await post(visit({ customerId: full, anonymousId: `ck-${unique()}` }));

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ customerId: full, identifiersNotAttached: ['anonymousId'] });
    expect(z.catchall(ingestResultSchema, z.never()).parse(answer.body)).toEqual(answer.body);
    expect((await getCustomer(full)).body.customer.identifiers).toHaveLength(maxIdentifiersPerCustomer);
  });

  it('is told every type left off, and only the new ones', async () => {
    const answer = await post(
      visit({ customerId: full, anonymousId: `ck-${unique()}`, accountId: `acc-${unique()}`, externalId: { system: 'crm', id: unique() } }),
    );

    expect(answer.status).toBe(201);
    expect([...answer.body.identifiersNotAttached].sort()).toEqual(['accountId', 'anonymousId', 'externalId']);
  });

  it('is told nothing when every identifier is attached', async () => {
    const answer = await post(visit({ customerId: roomy, anonymousId: `ck-${unique()}` }));

    expect(answer.status).toBe(201);
    expect(answer.body).not.toHaveProperty('identifiersNotAttached');
  });

  it('gets the same in the replay of an Idempotency-Key', async () => {
    const body = visit({ customerId: full, anonymousId: `ck-${unique()}` });
    const key = `v-${unique()}`;
    const first = await post(body, site, { 'idempotency-key': key });

    const replay = await post(body, site, { 'idempotency-key': key });

    expect(replay.status).toBe(200);
    expect(replay.body.identifiersNotAttached).toEqual(['anonymousId']);
    expect(replay.body.touchpointId).toBe(first.body.touchpointId);
  });

  it('gets it per item in a batch', async () => {
    const batch = await invoke(
      ingestBatchHandler,
      apiEvent({
        method: 'POST',
        routePath: '/v1/touchpoints/batch',
        body: { items: [visit({ customerId: full, anonymousId: `ck-${unique()}` }), visit({ customerId: roomy, anonymousId: `ck-${unique()}` })] },
        authorizer: site,
      }),
    );

    expect(batch.body.results[0]).toMatchObject({ status: 201, identifiersNotAttached: ['anonymousId'] });
    expect(batch.body.results[1]).not.toHaveProperty('identifiersNotAttached');
  });

  it('finds the field documented on IngestResult in the OpenAPI document', () => {
    const result = openApiDocument().components?.schemas?.IngestResult as { properties?: Record<string, unknown> };

    expect(result.properties).toHaveProperty('identifiersNotAttached');
  });
});

describe('a write-only key', () => {
  it('gets the same receipt for a customer at the bound as below it', async () => {
    const answers = [
      await post(visit({ customerId: full, anonymousId: `ck-${unique()}` }), publicSite),
      await post(visit({ customerId: roomy, anonymousId: `ck-${unique()}` }), publicSite),
    ];

    for (const answer of answers) expect(answer.body).toEqual({ touchpointId: expect.stringMatching(/^tp_/) });
    expect(answers[0]?.status).toBe(202);
    expect(answers[0]?.headers).toEqual(answers[1]?.headers);
    expect(answers[0]?.rawBody.length).toBe(answers[1]?.rawBody.length);
  });
});
