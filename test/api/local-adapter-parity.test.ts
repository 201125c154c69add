import { describe, expect, it } from 'vitest';
import { handler as getTimelineHandler } from '../../functions/get-timeline/handler.ts';
import { handler as lookupHandler } from '../../functions/lookup-customer/handler.ts';
import { apiEvent, invoke } from '../helpers/api-event.ts';
import { useTestApiClient } from '../helpers/local-api.ts';
import { touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * The local adapter must hand the handlers the event API Gateway would: a `__proto__` query
 * parameter is an own key there (JSON), so the handler refuses it; locally it must not vanish.
 */
const client = useTestApiClient();

describe('a __proto__ query parameter', () => {
  it('is refused over local HTTP with the 422 the handler gives the API Gateway event', async () => {
    const posted = await client.post('/v1/touchpoints', touchpointBody({ channel: 'call', identifiers: { phone: uniquePhone().e164 } }));
    expect(posted.status).toBe(201);
    const customerId = posted.body.customerId as string;
    // The event as API Gateway sends it: parsed JSON, where __proto__ is an own key.
    const query = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    const deployed = await invoke(
      getTimelineHandler,
      apiEvent({ method: 'GET', routePath: '/v1/customers/{customerId}/timeline', pathParameters: { customerId }, query }),
    );

    const local = await client.get(`/v1/customers/${customerId}/timeline?__proto__=x`);

    expect(deployed.status).toBe(422);
    expect(local.status).toBe(deployed.status);
    expect(local.body.errors).toEqual(deployed.body.errors);
    expect(JSON.stringify(local.body.errors)).toContain('__proto__');
  });

  it('is refused on lookup too, beside a real parameter', async () => {
    const query = JSON.parse('{"phone":"+447400123456","__proto__":"x"}') as Record<string, string>;
    const deployed = await invoke(lookupHandler, apiEvent({ method: 'GET', routePath: '/v1/customers/lookup', query }));

    const local = await client.get('/v1/customers/lookup?phone=%2B447400123456&__proto__=x');

    expect(deployed.status).toBe(422);
    expect(local.status).toBe(422);
    expect(local.body.errors).toEqual(deployed.body.errors);
  });
});
