import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { logger, valueAtPath } from '../../shared/observability/logger.ts';

const context = { functionName: 'probe', awsRequestId: 'aws-request-1', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

function captureLines(): () => string[] {
  const writes: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
  }
  return () =>
    writes
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('log correlation id', () => {
  it('stamps every line a route logs with the API Gateway request id', async () => {
    // The suite runs with POWERTOOLS_LOG_LEVEL=SILENT: this test needs the line written.
    const level = logger.getLevelName();
    logger.setLogLevel('WARN');
    onTestFinished(() => logger.setLogLevel(level));
    const lines = captureLines();
    const handler = apiHandler(async () => {
      logger.warn('Probe line');
      return { statusCode: 200, body: {} };
    });
    const event = { headers: {}, requestContext: { requestId: 'req-correlation-7' } } as unknown as APIGatewayProxyEventV2;

    await handler(event, context);

    const probe = lines()
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.message === 'Probe line');
    expect(probe?.correlation_id).toBe('req-correlation-7');
  });

  it('resolves a dotted path and gives undefined where the path runs out', () => {
    const event = { requestContext: { requestId: 'r-1', authorizer: null } };

    expect(valueAtPath('requestContext.requestId', event)).toBe('r-1');
    expect(valueAtPath('requestContext.authorizer.lambda', event)).toBeUndefined();
    expect(valueAtPath('requestContext.missing.deeper', event)).toBeUndefined();
    expect(valueAtPath('requestContext', 'not an object')).toBeUndefined();
  });
});
