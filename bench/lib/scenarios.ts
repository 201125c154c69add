/**
 * The benchmark's operations, generated from a seed: the API run (over HTTP) and the raw baseline
 * (straight DynamoDB calls) draw from the same generator, so both do the same work.
 */
import { seededRandom } from '../../shared/db/fault-injection.ts';
import {
  type CustomerIdentity,
  identityOf,
  mixedTrafficWeights,
  nationalFormat,
  pickOne,
  pickWeighted,
  type SeededCustomer,
  signUpFor,
  type TouchpointBody,
  touchpointFor,
} from './data-set.ts';

export const scenarioNames = ['ingest-known', 'ingest-new', 'lookup-phone', 'timeline-page', 'mixed', 'ingest-web-batch', 'ingest-hot'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** The scenarios that write: their floor (one PutItem per touchpoint) is below the raw baseline. */
export const ingestScenarios: ReadonlySet<ScenarioName> = new Set(['ingest-known', 'ingest-new', 'mixed', 'ingest-web-batch', 'ingest-hot']);

export const scenarioTitles: Record<ScenarioName, string> = {
  'ingest-known': 'Ingest, known customer (call by phone)',
  'ingest-new': 'Ingest, new customer (sign-up)',
  'lookup-phone': 'Caller lookup by phone',
  'timeline-page': 'Timeline, first page (50)',
  mixed: 'Mixed ingest (70% web, 15% call, 10% email, 5% invoice)',
  'ingest-web-batch': 'Ingest, web snippet batch (5 visits of a known visitor)',
  'ingest-hot': 'Ingest, one hot customer (web visits, every connection)',
};

/** Page views in one of the snippet's batches (it sends what a visitor viewed in the last few seconds). */
export const webBatchSize = 5;

/** Touchpoints one request records, where it is not one: a figure per request is this many touchpoints' worth. */
export const touchpointsPerRequest: Partial<Record<ScenarioName, number>> = { 'ingest-web-batch': webBatchSize };

/** What the load generators need of a seeded customer. */
export type LoadCustomer = Pick<SeededCustomer, 'index' | 'customerId' | 'phone' | 'email' | 'accountId' | 'anonymousId'>;

export type IngestOperation = { kind: 'ingest'; body: TouchpointBody; idempotencyKey: string };

export type Operation =
  | IngestOperation
  /** Several touchpoints in one batch, each with its own key (as the web snippet sends them). */
  | { kind: 'batch'; items: IngestOperation[] }
  | { kind: 'lookup-phone'; phone: string; typedAs: string }
  | { kind: 'timeline'; customerId: string; limit: number };

export interface ScenarioInput {
  scenario: ScenarioName;
  customers: LoadCustomer[];
  seed: number;
  /** Unique per run (API, raw, warm-up): keeps idempotency keys and new customers apart. */
  runTag: string;
  /** Phone range of the customers this run creates. */
  newPhoneRange: string;
  /** First index of this run's new customers within `newPhoneRange`. */
  newIndexOffset: number;
}

export const timelineLimit = 50;
/** Share of web visits in the mixed traffic that come from someone the site has never seen. */
const newVisitorShare = 0.2;

/** An endless source of operations for one scenario. */
export function operations(input: ScenarioInput): () => Operation {
  const random = seededRandom(input.seed);
  let serial = 0;
  let newIndex = input.newIndexOffset;
  const nextSerial = () => `${input.runTag}-${(serial++).toString(36)}`;
  const knownCustomer = () => pickOne(random, input.customers);
  const newCustomer = (): CustomerIdentity => identityOf(newIndex++, input.newPhoneRange, `n${input.runTag}-`);
  const ingest = (body: (serial: string) => TouchpointBody): IngestOperation => {
    const id = nextSerial();
    return { kind: 'ingest', body: body(id), idempotencyKey: `bench-${id}` };
  };

  switch (input.scenario) {
    case 'ingest-known':
      return () => {
        const customer = knownCustomer();
        return ingest((id) => touchpointFor(customer, 'call', { random, serial: id }));
      };
    case 'ingest-new':
      return () => {
        const customer = newCustomer();
        return ingest((id) => signUpFor(customer, { random, serial: id }));
      };
    case 'lookup-phone':
      return () => {
        const customer = knownCustomer();
        // Callers' numbers arrive in any format; half in the national one exercises normalisation.
        return { kind: 'lookup-phone', phone: customer.phone, typedAs: random() < 0.5 ? nationalFormat(customer.phone) : customer.phone };
      };
    case 'timeline-page':
      return () => ({ kind: 'timeline', customerId: knownCustomer().customerId, limit: timelineLimit });
    case 'ingest-web-batch':
      return () => {
        const visitor = knownCustomer();
        const sentAt = Date.now();
        const items = Array.from({ length: webBatchSize }, (_, index) => {
          const occurredAt = new Date(sentAt - (webBatchSize - index) * 1000).toISOString();
          return ingest((id) => touchpointFor(visitor, 'web_visit', { random, serial: id, occurredAt }));
        });
        // One visitor's batch: signed in or not, the same identifiers on every visit (one lane).
        const identifiers = items[0]?.body.identifiers ?? {};
        return { kind: 'batch', items: items.map((item) => ({ ...item, body: { ...item.body, identifiers } })) };
      };
    case 'ingest-hot': {
      // Every visit lands on one customer's partition: the rate DynamoDB's per-partition write limit caps.
      const hotCustomer = input.customers[0];
      if (!hotCustomer) throw new Error('The hot-customer scenario needs a seeded customer');
      return () => ingest((id) => touchpointFor(hotCustomer, 'web_visit', { random, serial: id }));
    }
    case 'mixed':
      return () => {
        const channel = pickWeighted(random, mixedTrafficWeights);
        if (channel === 'web_visit' && random() < newVisitorShare) {
          const visitor = newCustomer();
          return ingest((id) => touchpointFor(visitor, 'web_visit', { random, serial: id }));
        }
        const customer = knownCustomer();
        return ingest((id) => touchpointFor(customer, channel, { random, serial: id }));
      };
  }
}

export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export function toHttpRequest(operation: Operation): HttpRequestSpec {
  switch (operation.kind) {
    case 'ingest':
      return {
        method: 'POST',
        path: '/v1/touchpoints',
        headers: { 'content-type': 'application/json', 'idempotency-key': operation.idempotencyKey },
        body: JSON.stringify(operation.body),
      };
    case 'batch':
      return {
        method: 'POST',
        path: '/v1/touchpoints/batch',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: operation.items.map((item) => ({ ...item.body, idempotencyKey: item.idempotencyKey })) }),
      };
    case 'lookup-phone':
      return { method: 'GET', path: `/v1/customers/lookup?phone=${encodeURIComponent(operation.typedAs)}`, headers: {} };
    case 'timeline':
      return { method: 'GET', path: `/v1/customers/${operation.customerId}/timeline?limit=${operation.limit}`, headers: {} };
  }
}
