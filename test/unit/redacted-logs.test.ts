import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redactForLogs, redacted, redactText } from '../../shared/observability/redact.ts';

/** A logger configured like shared/observability/logger.ts, at INFO, whose lines are captured. */
function capturedLogger(): { logger: Logger; lines: () => string } {
  const writes: string[] = [];
  const logger = new Logger({ serviceName: 'touchpoint-api', logLevel: 'INFO', jsonReplacerFn: redactForLogs });
  // Errors and warnings go to stderr, the rest to stdout.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
  }
  return { logger, lines: () => writes.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('redacted logs', () => {
  it('writes no email address or phone number from an error message', () => {
    const { logger, lines } = capturedLogger();

    logger.error('Unhandled error', { error: new Error('ada.lovelace@example.com or +44 20 7946 0018 was refused') });

    expect(lines()).not.toMatch(/ada\.lovelace@example\.com|7946/);
    expect(lines()).toContain(redacted);
  });

  it('replaces personal and free-text fields whole, at any depth', () => {
    const { logger, lines } = capturedLogger();

    logger.info('Touchpoint', {
      touchpoint: {
        identifiers: { phone: '+447911123456', email: 'grace@example.org' },
        summary: 'Asked about the bill of Grace Hopper',
        details: { notes: 'Lives at 1 Main St', url: 'https://example.org/account?email=grace@example.org' },
        channel: 'call',
      },
      displayName: 'Grace Hopper',
      traits: { vip: true },
    });

    const line = lines();
    expect(line).not.toMatch(/grace|Grace|Hopper|Main St|447911123456/);
    expect(JSON.parse(line).touchpoint.channel).toBe('call');
  });

  it('masks a national-format phone number and a bare international one in free text', () => {
    expect(redactText('call 020 7946 0018 or 447946001800 today')).toBe(`call ${redacted} or ${redacted} today`);
  });

  it('keeps timestamps, request ids and module paths readable', () => {
    const text = 'at 2026-11-23T09:15:00.000Z request 775b9a13-4e8c-4dae-b1da-1c5b22326e25 in node_modules/@smithy/core/index.js';

    expect(redactText(text)).toBe(text);
  });

  it('never logs an Authorization header', () => {
    const { logger, lines } = capturedLogger();

    logger.info('Request', { headers: { authorization: 'Bearer tpk_secret-value-0000000000000000' } });

    expect(lines()).not.toContain('tpk_secret-value');
  });
});
