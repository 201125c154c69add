import { ConflictError, StoreUnavailableError } from './errors.ts';
import { WriteRejectedError } from './write-rejection.ts';

/**
 * Each attempt re-reads what changed; contention (another transaction on the same customer) is
 * the common reason to go round again, so the later attempts back off with jitter.
 */
export const maxAttempts = 8;

export function backOff(attempt: number, tryTookMs = 0): Promise<void> {
  // The window is counted in tries, not milliseconds: when a try takes longer (a busy store, a
  // loaded machine) contenders drawn from a window only as long as a try collide again, and with
  // a fixed window a four-way race can run out of attempts. At 10 ms a try this is 20..200 ms.
  const tryMs = Math.max(10, tryTookMs);
  const ceilingMs = Math.min(20 * tryMs, tryMs * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
}

/**
 * Tries of one step of an identity mutation that DynamoDB could not take (throttled, timed out,
 * answer lost). Every step is idempotent, so trying it again is safe, and a mutation resumes at the
 * step that gave way instead of starting over: at a 20 % fault rate a merge or undo of some twenty
 * calls still completes in one request nearly always.
 */
const stepAttempts = 6;

export async function persistently<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const startedAt = Date.now();
    try {
      return await step();
    } catch (error) {
      // Contention: another transaction held one of the items for a moment; nothing was written.
      const contention = error instanceof WriteRejectedError && error.reason === 'contention';
      if (!(error instanceof StoreUnavailableError || contention)) throw error;
      if (attempt >= stepAttempts) throw contention ? new StoreUnavailableError(undefined, { cause: error }) : error;
      await backOff(attempt, Date.now() - startedAt);
    }
  }
}

/**
 * Runs a step again, reading afresh, while its conditional write finds the identifier changed hands
 * since it was read (a concurrent link, unlink or merge of the same identifier): the loser of such a
 * race decides again on what the winner left instead of failing.
 */
export async function whileIdentifierMoves<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const startedAt = Date.now();
    try {
      return await persistently(step);
    } catch (error) {
      if (!(error instanceof WriteRejectedError && error.reason === 'identifier-taken')) throw error;
      if (attempt >= maxAttempts) throw new ConflictError('The identifier kept changing hands meanwhile; read it again and retry.');
      await backOff(attempt, Date.now() - startedAt);
    }
  }
}
