import { StoreUnavailableError } from '../domain/errors.ts';

/** SDK error names that mean "DynamoDB could not do it now", not "your request is wrong". */
const unavailableErrorNames = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/**
 * Cancellation reasons that mean a transaction was throttled, not refused: DynamoDB reports a
 * throttled TransactWriteItems as a TransactionCanceledException carrying one of these.
 */
const throttledCancellationCodes = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

function isThrottledTransaction(error: Error): boolean {
  if (error.name !== 'TransactionCanceledException') return false;
  const codes = ((error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((reason) => reason.Code);
  // A failed condition is a real answer about the data; it wins over a throttled sibling item.
  return codes.some((code) => code !== undefined && throttledCancellationCodes.has(code)) && !codes.includes('ConditionalCheckFailed');
}

export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isThrottledTransaction(error)) return true;
  const fault = (error as { $fault?: string }).$fault;
  const code = (error as { code?: string }).code;
  return unavailableErrorNames.has(error.name) || fault === 'server' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT';
}

/**
 * Failures after which a write may have been applied: the request went out and no answer came
 * (timeouts, a reset connection, a server error). Throttling and a refused connection write nothing.
 */
export function outcomeUnknown(error: unknown): boolean {
  const cause = error instanceof StoreUnavailableError ? error.cause : error;
  if (!(cause instanceof Error) || isThrottledTransaction(cause)) return false;
  const code = (cause as { code?: string }).code;
  return (
    ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalServerError', 'ServiceUnavailable'].includes(cause.name) ||
    ((cause as { $fault?: string }).$fault === 'server' && !unavailableErrorNames.has(cause.name)) ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT'
  );
}

/** Runs one DynamoDB call, turning "could not answer now" into the domain's retryable error. */
export async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isUnavailable(error)) throw new StoreUnavailableError(undefined, { cause: error });
    throw error;
  }
}
