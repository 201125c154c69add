import {
  ConflictError,
  IdempotencyConflictError,
  InvalidCursorError,
  NotFoundError,
  StoreUnavailableError,
  SuppressedIdentifierError,
  ValidationError,
} from '../domain/errors.ts';
import { logger } from '../observability/logger.ts';
import { HttpProblemError, type Problem, problem } from './problems.ts';

/** Seconds a client should wait before retrying after DynamoDB throttled or failed. */
const retryAfterSeconds = 1;

export interface ProblemResponse {
  problem: Problem;
  headers: Record<string, string>;
}

/** Maps any error to a problem response: domain errors to their 4xx/503, anything else to a 500 that leaks nothing. */
export function toProblemResponse(error: unknown, requestId: string): ProblemResponse {
  if (error instanceof HttpProblemError) return { problem: error.problem, headers: error.headers };
  if (error instanceof ValidationError) {
    return { problem: problem(422, 'validation-failed', 'Invalid request', error.message, { errors: error.problems }), headers: {} };
  }
  if (error instanceof InvalidCursorError) {
    return {
      problem: problem(400, 'invalid-cursor', 'Invalid cursor', error.message, {
        errors: [{ path: 'query.cursor', message: error.reason }],
      }),
      headers: {},
    };
  }
  if (error instanceof NotFoundError) return { problem: problem(404, 'not-found', 'Not found', error.message), headers: {} };
  if (error instanceof ConflictError) {
    return { problem: problem(409, 'conflict', 'Conflict', error.message, error.facts), headers: {} };
  }
  if (error instanceof SuppressedIdentifierError) {
    return { problem: problem(409, 'identifier-suppressed', 'Identifier suppressed', error.message), headers: {} };
  }
  if (error instanceof IdempotencyConflictError) {
    return { problem: problem(409, 'idempotency-conflict', 'Idempotency key reused', error.message), headers: {} };
  }
  if (error instanceof Error && error.name === 'TimeoutError') {
    // Middy's early timeout, just before Lambda's own: whatever was under way is atomic and keyed.
    logger.warn('Request timed out', { requestId });
    return {
      problem: problem(503, 'timeout', 'Service unavailable', 'The request took too long. Retry with the same Idempotency-Key.'),
      headers: { 'retry-after': String(retryAfterSeconds) },
    };
  }
  if (error instanceof StoreUnavailableError) {
    logger.warn('Customer store unavailable', { error: describe(error.cause), requestId });
    return {
      problem: problem(503, 'store-unavailable', 'Service unavailable', error.message),
      headers: { 'retry-after': String(retryAfterSeconds) },
    };
  }
  // Every 500 is logged, a domain error no branch above maps included: it is a bug to find by its request id.
  logger.error('Unhandled error', { error: describe(error), requestId });
  return {
    problem: problem(500, 'internal-error', 'Internal error', `Something went wrong on our side. Quote request id ${requestId}.`, {
      requestId,
    }),
    headers: {},
  };
}

function describe(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { value: String(error) };
}
