import { describe, expect, it } from 'vitest';
import { findFreePort } from '../../shared/db/dynamodb-local.ts';
import { getCustomer, postTouchpoint } from '../helpers/handlers.ts';
import { touchpointBody } from '../fixtures/touchpoints.ts';

// A port nothing listens on. Configuration is read on first use, as at a Lambda cold start, so
// this file's handlers talk to it instead of the run's DynamoDB Local.
process.env.DYNAMODB_ENDPOINT = `http://127.0.0.1:${await findFreePort()}`;

describe('when DynamoDB cannot be reached', () => {
  it('answers an ingest with 503 problem details and Retry-After', async () => {
    const response = await postTouchpoint(touchpointBody());

    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers a read with 503 problem details and Retry-After', async () => {
    const response = await getCustomer('cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB');

    expect(response.status).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  });
});
