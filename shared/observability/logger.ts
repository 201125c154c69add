import { Logger } from '@aws-lambda-powertools/logger';
import { loggingConfig } from '../config/logging.ts';
import { redactForLogs } from './redact.ts';

/**
 * One structured logger per process; service name and level come from POWERTOOLS_* variables.
 * The search function lets the middleware lift the request id into every line as correlation id.
 * Every line passes through the redacting replacer: no phone numbers, emails or free text in logs.
 */
export const logger = new Logger({
  serviceName: loggingConfig().serviceName,
  logLevel: loggingConfig().logLevel,
  correlationIdSearchFn: valueAtPath,
  jsonReplacerFn: redactForLogs,
});

/**
 * Our correlation id paths are plain dotted property paths (`requestContext.requestId`), so this
 * replaces Powertools' JMESPath `search`, which put a 23 KB JMESPath interpreter in every bundle.
 */
export function valueAtPath(path: string, data: unknown): unknown {
  let value = data;
  for (const name of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}
