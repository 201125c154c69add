import { afterEach, describe, expect, it, vi } from 'vitest';
import { backOff } from '../../shared/domain/retry.ts';

/** How long backOff waits when the jitter draws its longest wait, to the millisecond below. */
async function longestWaitMs(attempt: number, tryTookMs?: number): Promise<number> {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
  let done = false;
  const waiting = backOff(attempt, tryTookMs).then(() => {
    done = true;
  });
  let waitedMs = 0;
  while (!done) {
    await vi.advanceTimersByTimeAsync(1);
    waitedMs += 1;
  }
  await waiting;
  return waitedMs;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('the back-off between contending tries', () => {
  it('doubles with each attempt up to 200 ms when a try is quick', async () => {
    expect(await longestWaitMs(1)).toBe(19);
    expect(await longestWaitMs(3)).toBe(79);
    expect(await longestWaitMs(6)).toBe(199);
  });

  it('counts its window in tries, so a slow store widens it instead of colliding again', async () => {
    expect(await longestWaitMs(1, 100)).toBe(199);
    expect(await longestWaitMs(3, 100)).toBe(799);
    expect(await longestWaitMs(6, 100)).toBe(1999);
  });
});
