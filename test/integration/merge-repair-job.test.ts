import { beforeAll, describe, expect, it } from 'vitest';
import { handler as finishInterruptedMergesHandler } from '../../functions/finish-interrupted-merges/handler.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { mergeCustomers, mergeCutShortAfterMs } from '../../shared/domain/merge-customers.ts';
import { lambdaContext } from '../helpers/api-event.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { lookupCustomer } from '../helpers/handlers.ts';
import { ingestCall, unique, uniqueEmail } from '../fixtures/touchpoints.ts';

/** The scheduled merge repair as Lambda runs it, on this file's table. */
beforeAll(async () => {
  await createTestTable();
});

describe('the scheduled merge repair', () => {
  it('finishes an automatic merge cut short that no touchpoint came back to', async () => {
    const store = customerStore();
    const known = await ingestCall(store, { email: uniqueEmail() });
    const anonymousId = `anon-${unique()}`;
    const anonymous = await ingestCall(store, { anonymousId });
    const dying = {
      ...store,
      setIdentifierOwner: async () => {
        throw new Error('process killed');
      },
    };
    const startedAt = new Date(Date.now() - mergeCutShortAfterMs - 1000);
    const request = { targetCustomerId: known.customerId, sourceCustomerId: anonymous.customerId, reason: 'automatic', actor: 'automatic:web' };
    await expect(mergeCustomers(dying, request, startedAt)).rejects.toThrow('process killed');
    const mergeId = (await store.readProfile(anonymous.customerId))?.mergedBy;

    const report = await finishInterruptedMergesHandler({ 'detail-type': 'Scheduled Event' }, lambdaContext('finish-interrupted-merges'));

    expect(report).toEqual({ finished: [mergeId], failed: [] });
    const lookup = await lookupCustomer({ anonymousId });
    expect(lookup.body.customer.customerId).toBe(known.customerId);
    expect(lookup.body.summary.touchpointCount).toBe(2);
  });

  it('has nothing to do when every merge finished', async () => {
    expect(await finishInterruptedMergesHandler({}, lambdaContext('finish-interrupted-merges'))).toEqual({ finished: [], failed: [] });
  });
});
