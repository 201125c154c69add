import { beforeAll, describe, expect, it } from 'vitest';
import { handler as retierHandler } from '../../functions/retier-customers/handler.ts';
import { handler as listCustomersHandler } from '../../functions/list-customers/handler.ts';
import { recordDynamoDbCalls } from '../../shared/db/call-recorder.ts';
import { documentClient } from '../../shared/db/client.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { retierCustomers } from '../../shared/domain/retier-customers.ts';
import { apiEvent, invoke, lambdaContext } from '../helpers/api-event.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { recordTouchpoint } from '../helpers/handlers.ts';
import { minutesAgo, touchpointBody, uniquePhone } from '../fixtures/touchpoints.ts';

/**
 * The daily value tier sweep on DynamoDB Local. With the default thresholds, ten touchpoints worth
 * 20,000 score frequency 2 and monetary 4: platinum (10) while the last contact is within 30 days
 * (recency 4), gold (9) once it is older (recency 3).
 */
const dayMinutes = 24 * 60;
const twoDaysOn = () => new Date(Date.now() + 2 * dayMinutes * 60_000);

/** A customer with ten calls worth 20,000 in all, the last one `lastContactDaysAgo` days ago. */
async function valuableCustomer(lastContactDaysAgo: number): Promise<string> {
  const phone = uniquePhone().e164;
  let customerId = '';
  for (let index = 9; index >= 0; index -= 1) {
    const body = touchpointBody({ channel: 'call', identifiers: { phone }, occurredAt: minutesAgo(lastContactDaysAgo * dayMinutes + index), value: 2_000 });
    ({ customerId } = await recordTouchpoint(body));
  }
  return customerId;
}

async function tierList(tier: string): Promise<string[]> {
  const response = await invoke(listCustomersHandler, apiEvent({ routePath: '/v1/customers', query: { tier, limit: '200' } }));
  expect(response.status).toBe(200);
  return (response.body.items as Array<{ customerId: string }>).map((item) => item.customerId);
}

let quiet: string;
let recent: string;

beforeAll(async () => {
  await createTestTable();
  quiet = await valuableCustomer(29);
  recent = await valuableCustomer(1);
});

describe('the value tier sweep', () => {
  it('files the two customers as platinum at first', async () => {
    expect(await tierList('platinum')).toEqual(expect.arrayContaining([quiet, recent]));
  });

  it('moves a customer whose last contact crossed 30 days to gold, and only that one, reading the crossing slices only', async () => {
    const recorder = recordDynamoDbCalls(documentClient());

    const report = await retierCustomers(customerStore(), twoDaysOn(), 2);

    recorder.detach();
    expect(report).toEqual({ examined: 1, retiered: 1, skipped: 0 });
    expect(await tierList('gold')).toContain(quiet);
    expect(await tierList('platinum')).toEqual([recent]);
    // Four recency thresholds times four tiers, one Query of the keys-only index each (no Scan),
    // one BatchGetItem of the profiles of the one slice that holds a customer, and one update.
    const commands = recorder.calls.map((call) => call.command);
    expect(commands.filter((command) => command === 'QueryCommand')).toHaveLength(16);
    expect(commands.filter((command) => command !== 'QueryCommand')).toEqual(['BatchGetItemCommand', 'UpdateItemCommand']);
  });

  it('changes nothing when run again', async () => {
    expect(await retierCustomers(customerStore(), twoDaysOn(), 2)).toEqual({ examined: 1, retiered: 0, skipped: 0 });
  });

  it('leaves a card alone that changed since the sweep read it', async () => {
    const card = await customerStore().readCard(quiet);

    expect(await customerStore().storeTier(quiet, (card?.version ?? 0) - 1, { tier: 'bronze', tierRecency: 0 })).toBe(false);
    expect(await tierList('gold')).toContain(quiet);
  });

  it('files the customer as platinum again with their next touchpoint', async () => {
    const [phone] = (await customerStore().getCustomerView(quiet, 0))!.customer.identifiers.map((identifier) => identifier.value);

    await recordTouchpoint(touchpointBody({ channel: 'call', identifiers: { phone: phone! } }));

    expect(await tierList('platinum')).toContain(quiet);
    expect(await tierList('gold')).not.toContain(quiet);
  });

  it('runs as the scheduled Lambda with the event time and the default two days of lookback', async () => {
    const report = await retierHandler({ time: twoDaysOn().toISOString(), 'detail-type': 'Scheduled Event' }, lambdaContext('retier-customers'));

    expect(report).toEqual({ examined: 0, retiered: 0, skipped: 0 });
  });

  it('catches up over a longer lookback when invoked by hand', async () => {
    const report = await retierHandler({ lookbackDays: 30 }, lambdaContext('retier-customers'));

    // The recent customer's last contact (1 day ago) is not 30 days past any threshold yet.
    expect(report.examined).toBe(0);
  });
});
