import { afterEach, describe, expect, it, vi } from 'vitest';
import { DomainError, InvalidCursorError, NotFoundError } from '../../shared/domain/errors.ts';
import { toProblemResponse } from '../../shared/http/error-boundary.ts';
import { logger } from '../../shared/observability/logger.ts';

/** A domain error no branch of the boundary maps: a bug, as any other unexpected failure. */
class UnmappedDomainError extends DomainError {}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the error boundary', () => {
  it('logs every 500 with its request id, an unmapped domain error included', () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);

    const { problem } = toProblemResponse(new UnmappedDomainError('no status for me'), 'req-unmapped');

    expect(problem.status).toBe(500);
    expect(logged).toHaveBeenCalledWith('Unhandled error', expect.objectContaining({ requestId: 'req-unmapped' }));
  });

  it('logs a 500 for an error that is no domain error', () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);

    expect(toProblemResponse(new TypeError('x is undefined'), 'req-type').problem.status).toBe(500);
    expect(logged).toHaveBeenCalledTimes(1);
  });

  it('answers a bad cursor with a 400 invalid-cursor problem naming query.cursor, logging nothing', () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);

    const { problem } = toProblemResponse(new InvalidCursorError('was issued for another list'), 'req-cursor');

    expect(problem).toMatchObject({
      status: 400,
      type: 'urn:touchpoint-api:problem:invalid-cursor',
      errors: [{ path: 'query.cursor', message: 'was issued for another list' }],
    });
    expect(logged).not.toHaveBeenCalled();
  });

  it('logs no error for a mapped 4xx', () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);

    expect(toProblemResponse(new NotFoundError('No customer'), 'req-404').problem.status).toBe(404);
    expect(logged).not.toHaveBeenCalled();
  });
});
