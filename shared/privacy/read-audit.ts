import type { Context } from 'aws-lambda';
import { authenticatedClient } from '../auth/client.ts';
import { StoreUnavailableError } from '../domain/errors.ts';
import { identifierTypesByStrength } from '../domain/identifiers.ts';
import { ulidGenerator } from '../domain/ids.ts';
import type { ReadObserver } from '../domain/read-observer.ts';
import type { AccessLogEntry, AccessLogStore } from '../domain/access-log-store.ts';
import type { ApiEvent, ApiResponse, Route } from '../http/api-handler.ts';
import { logger } from '../observability/logger.ts';

/**
 * The read audit: every response that shows a customer's data leaves an entry (who, what, when) in
 * that customer's partition, listed by `GET /v1/customers/{customerId}/access-log`. A route that
 * shows customers' data opts in by wrapping itself: `apiHandler(auditedRoute('lookup', accessLogStore, route))`.
 *
 * The audited route says which customers its answer shows (`customersShown`, taken from what its
 * use case returned), and those are the customers recorded. To keep reads within their round-trip
 * budget, a route (or the use case it passes the observer to) may say `reading(customerId)` before
 * it fetches a customer: that customer's entry is written then, alongside the read. When the route
 * answers, entries started for customers it did not show are taken back (an unknown id leaves
 * nothing), and customers shown but not started are recorded then. The audit fails closed: if an
 * entry cannot be written, the data is not shown (503).
 */
export interface AuditedAnswer {
  response: ApiResponse;
  /** The customers whose data the response shows; ignored for an error status. */
  customersShown: Iterable<string>;
}

export type AuditedRoute = (event: ApiEvent, reads: ReadObserver, context?: Context) => Promise<AuditedAnswer>;

const identifierParameters = new Set<string>(identifierTypesByStrength);

function identifierTypeInQuery(event: ApiEvent): string | undefined {
  return Object.keys(event.queryStringParameters ?? {}).find((name) => identifierParameters.has(name));
}

const nextId = ulidGenerator();

interface StartedEntry {
  entry: AccessLogEntry;
  /** Settled into a value (the error, or undefined once written) so that a failure is handled once, after the read. */
  written: Promise<unknown>;
}

/** `accessLog`: the store entries go to, asked for on the first request (the handler takes it from its instance module). */
export function auditedRoute(operation: string, accessLog: () => AccessLogStore, route: AuditedRoute): Route {
  // How the customer was found, for a lookup: the identifier type in the query (never its value).
  const via = operation === 'lookup' ? identifierTypeInQuery : undefined;
  return async (event, lambdaContext) => {
    const client = authenticatedClient(event);
    const at = new Date().toISOString();
    const entryFor = (customerId: string): AccessLogEntry => ({
      customerId,
      entryId: nextId(),
      at,
      clientId: client.clientId,
      clientName: client.clientName,
      operation,
      via: via?.(event) ?? null,
      requestId: event.requestContext.requestId,
    });
    const log = accessLog();
    const started = new Map<string, StartedEntry>();
    const reads: ReadObserver = {
      reading(customerId) {
        if (started.has(customerId)) return;
        const entry = entryFor(customerId);
        const written = log.record(entry).then(
          () => undefined,
          (error: unknown) => error ?? new Error('audit write failed'),
        );
        started.set(customerId, { entry, written });
      },
    };

    let answer: AuditedAnswer;
    try {
      answer = await route(event, reads, lambdaContext);
    } catch (error) {
      await takeBack(log, [...started.values()]);
      throw error;
    }
    const shown = answer.response.statusCode < 400 ? new Set(answer.customersShown) : new Set<string>();
    const failures = (await Promise.all([...started.values()].map(({ written }) => written))).filter(Boolean);
    if (failures.length > 0) {
      await takeBack(log, [...started.values()]);
      throw new StoreUnavailableError('The read could not be recorded in the access log, so nothing is shown; retry shortly.', {
        cause: failures[0],
      });
    }
    await takeBack(
      log,
      [...started.entries()].filter(([customerId]) => !shown.has(customerId)).map(([, entry]) => entry),
    );
    const late = [...shown].filter((customerId) => !started.has(customerId)).map(entryFor);
    if (late.length > 0) await log.recordMany(late);
    return answer.response;
  };
}

/** Best effort: an entry that cannot be taken back over-reports a read, which is the safe side. */
async function takeBack(log: AccessLogStore, entries: StartedEntry[]): Promise<void> {
  await Promise.all(
    entries.map(async ({ entry, written }) => {
      if ((await written) !== undefined) return;
      try {
        await log.remove(entry);
      } catch (error) {
        logger.warn('Could not take back a read-audit entry', { error: (error as Error).name, operation: entry.operation });
      }
    }),
  );
}
