import { describe, expect, it } from 'vitest';
import { readLoggingConfig } from '../../shared/config/logging.ts';

describe('logging configuration', () => {
  it('logs at INFO as touchpoint-api when nothing is set', () => {
    expect(readLoggingConfig({})).toEqual({ serviceName: 'touchpoint-api', logLevel: 'INFO' });
  });

  it('takes the service name and level Powertools would take', () => {
    expect(readLoggingConfig({ POWERTOOLS_SERVICE_NAME: 'billing-api', POWERTOOLS_LOG_LEVEL: 'DEBUG' })).toEqual({
      serviceName: 'billing-api',
      logLevel: 'DEBUG',
    });
  });

  it('reads a level in any case', () => {
    expect(readLoggingConfig({ POWERTOOLS_LOG_LEVEL: 'warn' }).logLevel).toBe('WARN');
  });

  it('takes LOG_LEVEL when POWERTOOLS_LOG_LEVEL is not set, and POWERTOOLS_LOG_LEVEL over it when both are', () => {
    expect(readLoggingConfig({ LOG_LEVEL: 'ERROR' }).logLevel).toBe('ERROR');
    expect(readLoggingConfig({ LOG_LEVEL: 'ERROR', POWERTOOLS_LOG_LEVEL: 'SILENT' }).logLevel).toBe('SILENT');
  });

  it('refuses a level Powertools does not know, naming the variable, the levels and what was given', () => {
    expect(() => readLoggingConfig({ POWERTOOLS_LOG_LEVEL: 'verbose' })).toThrow(
      'Invalid logging configuration: POWERTOOLS_LOG_LEVEL: must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT (got "verbose")',
    );
  });

  it('refuses a bad LOG_LEVEL as clearly', () => {
    expect(() => readLoggingConfig({ LOG_LEVEL: 'loud' })).toThrow('Invalid logging configuration: LOG_LEVEL: must be one of');
  });
});
