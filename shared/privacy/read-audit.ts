import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { authenticatedClient } from '../auth/client.ts';
import { config } from '../config/config.ts';
import { StoreUnavailableError } from '../domain/errors.ts';
import { identifierTypesByStrength } from '../domain/identifiers.ts';
import { type AccessLogEntry, type AccessLogStore, dynamoAccessLogStore } from '../db/access-log-store.ts';
import { createDocumentClient, documentClient } from '../db/client.ts';
import { customerIdOfPartition, customerIdsOfItemPartition } from '../db/keys.ts';
import type { ApiEvent, ApiResponse, Route } from '../http/api-handler.ts';
import { logger } from '../observability/logger.ts';

/**
 * The read audit: every response that shows a customer's data leaves an entry (who, what, when) in
 * that customer's partition, listed by `GET /v1/customers/{customerId}/access-log`.
 *
 * To keep reads within their round-trip budget the entry is written in parallel with the read:
 * while an audited route runs, the first DynamoDB request that touches a customer's partition
 * starts that customer's audit write (an SDK middleware on the shared client, watching partition
 * keys). The same middleware notes which customers' items the reads actually returned. When the
 * route answers, a customer was read if the response names it (`customerId` fields) and a read
 * returned its items: entries for any other customer touched are taken back (an unknown id leaves
 * nothing, even where the answer echoes the id), and customers read but not yet recorded (found
 * through an index, say) are recorded then. The audit fails closed: if an entry cannot be
 * written, the data is not shown (503).
 */
export interface ReadAuditOptions {
  operation: string;
  /** How the customer was found; by default, for a lookup, the identifier type in the query (never its value). */
  via?: (event: ApiEvent) => string | undefined;
}

const identifierParameters = new Set<string>(identifierTypesByStrength);

function identifierTypeInQuery(event: ApiEvent): string | undefined {
  return Object.keys(event.queryStringParameters ?? {}).find((name) => identifierParameters.has(name));
}

interface AuditContext {
  begin(customerId: string): void;
  found(customerId: string): void;
}

const storage = new AsyncLocalStorage<AuditContext>();
const nextId = monotonicFactory();
const interceptedClients = new WeakSet<DynamoDBDocumentClient>();

export function auditReads(route: Route, options: ReadAuditOptions): Route {
  return async (event, lambdaContext) => {
    ensureInterceptor(documentClient());
    const client = authenticatedClient(event);
    const at = new Date().toISOString();
    const entryFor = (customerId: string): AccessLogEntry => ({
      customerId,
      entryId: nextId(),
      at,
      clientId: client.clientId,
      clientName: client.clientName,
      operation: options.operation,
      via: (options.via ?? (options.operation === 'lookup' ? identifierTypeInQuery : undefined))?.(event) ?? null,
      requestId: event.requestContext.requestId,
    });
    const log = accessLogStore();
    const begun = new Map<string, { entry: AccessLogEntry; written: Promise<unknown> }>();
    const found = new Set<string>();
    const context: AuditContext = {
      found(customerId) {
        found.add(customerId);
      },
      begin(customerId) {
        if (begun.has(customerId)) return;
        const entry = entryFor(customerId);
        // Settled into a value so that a failure is handled once, after the read, never unhandled.
        const written = log.record(entry).then(
          () => undefined,
          (error: unknown) => error ?? new Error('audit write failed'),
        );
        begun.set(customerId, { entry, written });
      },
    };

    let response: ApiResponse;
    try {
      response = await storage.run(context, () => route(event, lambdaContext));
    } catch (error) {
      await takeBack(log, [...begun.values()]);
      throw error;
    }
    const shown =
      response.statusCode < 400 ? new Set([...customerIdsIn(response.body)].filter((customerId) => found.has(customerId))) : new Set<string>();
    const failures = (await Promise.all([...begun.values()].map((started) => started.written))).filter(Boolean);
    if (failures.length > 0) {
      await takeBack(log, [...begun.values()]);
      throw new StoreUnavailableError('The read could not be recorded in the access log, so nothing is shown; retry shortly.', {
        cause: failures[0],
      });
    }
    await takeBack(
      log,
      [...begun.entries()].filter(([customerId]) => !shown.has(customerId)).map(([, started]) => started),
    );
    const late = [...shown].filter((customerId) => !begun.has(customerId)).map(entryFor);
    if (late.length > 0) await log.recordMany(late);
    return response;
  };
}

/** Best effort: an entry that cannot be taken back over-reports a read, which is the safe side. */
async function takeBack(log: AccessLogStore, started: Array<{ entry: AccessLogEntry; written: Promise<unknown> }>): Promise<void> {
  await Promise.all(
    started.map(async ({ entry, written }) => {
      if ((await written) !== undefined) return;
      try {
        await log.remove(entry);
      } catch (error) {
        logger.warn('Could not take back a read-audit entry', { error: (error as Error).name, operation: entry.operation });
      }
    }),
  );
}

const customerIdPattern = /^cus_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Every customer id the response shows, at any depth, under a `customerId` key or in a `customerIds` list. */
export function customerIdsIn(body: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number) => {
    if (depth > 32 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const element of value) visit(element, depth + 1);
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === 'customerId' && typeof child === 'string' && customerIdPattern.test(child)) found.add(child);
      else if (key === 'customerIds' && Array.isArray(child)) {
        for (const element of child) if (typeof element === 'string' && customerIdPattern.test(element)) found.add(element);
      } else visit(child, depth + 1);
    }
  };
  visit(body, 0);
  return found;
}

/** Watches the shared client's requests for customer partitions, to start audit writes early. */
function ensureInterceptor(client: DynamoDBDocumentClient): void {
  if (interceptedClients.has(client)) return;
  interceptedClients.add(client);
  client.middlewareStack.add(
    (next) => async (args) => {
      const context = storage.getStore();
      if (!context) return next(args);
      for (const customerId of partitionsOf(args.input)) context.begin(customerId);
      const result = await next(args);
      for (const customerId of partitionsReturned(result.output)) context.found(customerId);
      return result;
    },
    { step: 'initialize', name: 'read-audit-early-start' },
  );
}

function partitionsOf(input: unknown): string[] {
  const found: string[] = [];
  const consider = (value: unknown) => {
    const customerId = customerIdOfPartition(value);
    if (customerId) found.push(customerId);
  };
  const request = input as {
    Key?: { pk?: unknown };
    ExpressionAttributeValues?: Record<string, unknown>;
    RequestItems?: Record<string, { Keys?: Array<{ pk?: unknown }> }>;
  };
  consider(request.Key?.pk);
  for (const value of Object.values(request.ExpressionAttributeValues ?? {})) consider(value);
  for (const table of Object.values(request.RequestItems ?? {})) for (const key of table.Keys ?? []) consider(key.pk);
  return found;
}

/** The customers whose items a read returned (GetItem, Query, BatchGetItem outputs). */
function partitionsReturned(output: unknown): string[] {
  const result = output as { Item?: { pk?: unknown }; Items?: Array<{ pk?: unknown }>; Responses?: Record<string, Array<{ pk?: unknown }>> };
  const items = [
    ...(result?.Item ? [result.Item] : []),
    ...(result?.Items ?? []),
    ...Object.values(result?.Responses ?? {}).flat(),
  ];
  return items.flatMap((item) => customerIdsOfItemPartition(item.pk));
}

let store: AccessLogStore | undefined;

/**
 * The access log writes through a client of its own: its calls are the audit's, kept apart from
 * the read's own calls (which the round-trip budget tests count) and from fault injection.
 */
export function accessLogStore(): AccessLogStore {
  store ??= dynamoAccessLogStore(auditClient(), config().TABLE_NAME);
  return store;
}

let sharedAuditClient: DynamoDBDocumentClient | undefined;

export function auditClient(): DynamoDBDocumentClient {
  sharedAuditClient ??= createDocumentClient({
    region: config().AWS_REGION,
    ...(config().DYNAMODB_ENDPOINT ? { endpoint: config().DYNAMODB_ENDPOINT } : {}),
  });
  return sharedAuditClient;
}
