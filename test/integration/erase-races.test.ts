import { describe, expect, it } from 'vitest';
import { privacyStore } from '../../shared/db/privacy-store-instances.ts';
import { eraseCustomer } from '../../shared/privacy/erase-customer.ts';
import { minutesAgo, touchpointBody, unique } from '../fixtures/touchpoints.ts';
import { scanTable } from '../helpers/dynamodb.ts';
import { findTraces } from '../helpers/erased-traces.ts';
import { person } from '../helpers/erase-graphs.ts';
import { graphProblems } from '../helpers/identity-graph.ts';
import { identityApi } from '../helpers/identity-api.ts';
import { useTestApiClient } from '../helpers/local-api.ts';

/**
 * Erase racing the writes that could add to the person while it runs (issue 10, classes 1 and 4):
 * touchpoints carrying its identifiers, links, a second erase. Whatever the interleaving, nothing
 * is left naming an erased id, no request answers 500, and the customers left are sound.
 */
const client = useTestApiClient();
const api = identityApi(client);

describe('an erase racing other writes', () => {
  it('leaves no item naming the erased ids while touchpoints carrying its identifiers and a second erase run at the same time', {
    timeout: 120_000,
  }, async () => {
    const erased = await person(api, 60);
    const neighbour = await person(api, 50);
    await api.arrangeLink(neighbour.customerId, { type: 'phone', value: erased.phone, shared: true });
    for (let index = 0; index < 5; index += 1) {
      await api.arrangeTouchpoint(touchpointBody({ identifiers: { email: erased.email }, occurredAt: minutesAgo(40 - index) }));
    }

    const racing = Array.from({ length: 12 }, (_, index) =>
      api.postTouchpoint(
        touchpointBody({
          channel: index % 2 ? 'email' : 'call',
          identifiers: index % 3 ? { email: erased.email } : { phone: erased.phone, email: erased.email },
          summary: `racing ${unique()}`,
        }),
      ),
    );
    const erases = [client.send('DELETE', `/v1/customers/${erased.customerId}`), client.send('DELETE', `/v1/customers/${erased.customerId}`)];
    const linking = api.link(erased.customerId, { type: 'accountId', value: `ACC-${unique()}` });
    const answers = await Promise.all([...racing, ...erases, linking]);
    // An erase that lost the race to the other (or to the store) is finished by asking again.
    const finish = await client.send('DELETE', `/v1/customers/${erased.customerId}`);

    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    const eraseStatuses = (await Promise.all(erases)).map((answer) => answer.status);
    expect(eraseStatuses.includes(200) || finish.status === 200).toBe(true);
    const items = await scanTable();
    expect(findTraces(items, [erased.customerId])).toEqual([]);
    // Touchpoints that got in before the erase went with it; later ones went to a new customer or the neighbour.
    expect(graphProblems(items)).toEqual([]);
  });

  it('refuses a touchpoint naming the customer by id while its erase runs, as one naming nobody, and stores nothing naming it', async () => {
    const erased = await person(api, 60);
    const accountId = `ACC-${unique()}`;
    await person(api, 50, { accountId });
    let checks = 0;
    // Paused after its first step: the customer is marked as being erased, nothing deleted yet.
    const paused = await eraseCustomer(privacyStore(), erased.customerId, { suppress: false, actor: 'test', pageSize: 2, outOfTime: () => ++checks > 1 });
    expect(paused.status).toBe('in_progress');

    // The other customer's account would take it in: it must not, carrying the erased id.
    const naming = () => touchpointBody({ identifiers: { customerId: erased.customerId, accountId } });
    const alone = await api.postTouchpoint(naming());
    const inBatch = await client.post('/v1/touchpoints/batch', { items: [naming()] });
    const finished = await client.send('DELETE', `/v1/customers/${erased.customerId}`);

    expect(alone.status).toBe(422);
    expect(inBatch.body.results.map((result: { status: number }) => result.status)).toEqual([422]);
    expect(finished.status).toBe(200);
    expect(findTraces(await scanTable(), [erased.customerId])).toEqual([]);
  });
});
