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

export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const fault = (error as { $fault?: string }).$fault;
  const code = (error as { code?: string }).code;
  return (
    unavailableErrorNames.has(error.name) ||
    fault === 'server' ||
    code === 'ECONNREFUSED' ||
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
