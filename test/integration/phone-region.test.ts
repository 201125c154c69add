import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../helpers/dynamodb.ts';
import { lookupCustomer, recordTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody } from '../fixtures/touchpoints.ts';

// Configuration is read once, on first use (as at a Lambda cold start): set before any request.
process.env.DEFAULT_PHONE_REGION = 'US';

beforeAll(async () => {
  await createTestTable();
});

describe('DEFAULT_PHONE_REGION', () => {
  it('reads a national number in the configured region', async () => {
    const created = await recordTouchpoint(touchpointBody({ identifiers: { phone: '(202) 555-0143' } }));

    const response = await lookupCustomer({ phone: '+1 202 555 0143' });

    expect(response.body.customer).toMatchObject({
      customerId: created.customerId,
      identifiers: [{ type: 'phone', value: '+12025550143' }],
    });
  });

  it('still reads an international number in its own country', async () => {
    const created = await recordTouchpoint(touchpointBody({ identifiers: { phone: '+44 20 7946 0018' } }));

    const response = await lookupCustomer({ phone: '+442079460018' });

    expect(response.body.customer.customerId).toBe(created.customerId);
  });
});
