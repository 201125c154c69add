import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { loggingConfig } from '../config/config.ts';
import { redactForLogs } from './redact.ts';

/**
 * One structured logger per process; service name and level come from POWERTOOLS_* variables.
 * The search function lets the middleware lift the request id into every line as correlation id.
 * Every line passes through the redacting replacer: no phone numbers, emails or free text in logs.
 */
export const logger = new Logger({
  serviceName: loggingConfig().POWERTOOLS_SERVICE_NAME,
  correlationIdSearchFn: search,
  jsonReplacerFn: redactForLogs,
});
