import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger per process; service name and level come from POWERTOOLS_* variables. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'touchpoint-api' });
