/**
 * The logger's section of the environment, read without zod (unlike config.ts): every function
 * logs, and the functions that validate nothing else (check-health, route-not-found) would bundle
 * about 83 KiB of zod for these two variables.
 */

/** Powertools' levels. Powertools itself ignores a level it does not know and logs at INFO. */
export const logLevels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LoggingConfig {
  serviceName: string;
  logLevel: LogLevel;
}

function isLogLevel(value: string): value is LogLevel {
  return (logLevels as readonly string[]).includes(value);
}

/** Refuses a log level Powertools would not know, naming the variable, rather than logging at another level than the one asked for. */
export function readLoggingConfig(env: Record<string, string | undefined>): LoggingConfig {
  // Powertools' own precedence: POWERTOOLS_LOG_LEVEL, then its alias LOG_LEVEL.
  const variable = env.POWERTOOLS_LOG_LEVEL ? 'POWERTOOLS_LOG_LEVEL' : 'LOG_LEVEL';
  const given = env[variable] || 'INFO';
  const logLevel = given.toUpperCase();
  if (!isLogLevel(logLevel)) {
    throw new Error(`Invalid logging configuration: ${variable}: must be one of ${logLevels.join(', ')} (got ${JSON.stringify(given)})`);
  }
  return { serviceName: env.POWERTOOLS_SERVICE_NAME || 'touchpoint-api', logLevel };
}

let cached: LoggingConfig | undefined;

/** Read once per process, as config.ts's sections are. */
export function loggingConfig(): LoggingConfig {
  cached ??= readLoggingConfig(process.env);
  return cached;
}
