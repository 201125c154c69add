/**
 * Retries for answers that say "try again": 429 always (refused before any work), and 503 or a
 * lost connection when repeating the request cannot store twice: a GET, PUT or DELETE, or a
 * request carrying an Idempotency-Key (the server replays the first result for it). A POST or
 * PATCH without one is answered as it came: the write may have been applied.
 */
export interface RetryOptions {
  /** Attempts in all, the first included (default 4; 1 turns retries off). */
  maxAttempts?: number;
  /** Backoff base when the answer names no Retry-After, and the jitter added to one (default 250 ms). */
  baseDelayMs?: number;
  /** Longest wait before one retry (default 30 s): a Retry-After beyond it is answered as it came, not waited for. */
  maxDelayMs?: number;
  /** Called before each wait, e.g. to log or count retries. */
  onRetry?: (event: RetryEvent) => void;
  /** A uniform [0, 1) source for the jitter (default Math.random). */
  random?: () => number;
}

export interface RetryEvent {
  method: string;
  url: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** The status that asked for the retry, or undefined when the connection failed. */
  status: number | undefined;
  delayMs: number;
  idempotencyKey: string | null;
}

type Fetch = (request: Request, init?: RequestInit) => Promise<Response>;

const repeatableMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export function retryingFetch(fetch: Fetch, options: RetryOptions = {}): Fetch {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 4));
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;

  return async (request, init) => {
    const repeatable = repeatableMethods.has(request.method) || request.headers.has('idempotency-key');
    let current = request;
    for (let attempt = 1; ; attempt += 1) {
      // A body can be read once: keep a copy for the next attempt before sending this one.
      const spare = attempt < maxAttempts ? current.clone() : undefined;
      let outcome: { response: Response } | { error: unknown };
      try {
        outcome = { response: await fetch(current, init) };
      } catch (error) {
        outcome = { error };
      }
      const response = 'response' in outcome ? outcome.response : undefined;
      const retryable = response ? response.status === 429 || (response.status === 503 && repeatable) : repeatable && !request.signal.aborted;
      const retryAfterMs = parseRetryAfter(response?.headers.get('retry-after') ?? null);
      const backoffMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      // Never earlier than the server asked; spread out so clients throttled together do not come back together.
      const delayMs = Math.round(retryAfterMs === undefined ? random() * backoffMs : retryAfterMs + random() * baseDelayMs);
      if (!spare || !retryable || delayMs > maxDelayMs) {
        if ('error' in outcome) throw outcome.error;
        return outcome.response;
      }
      await response?.body?.cancel();
      options.onRetry?.({
        method: request.method,
        url: request.url,
        attempt,
        status: response?.status,
        delayMs,
        idempotencyKey: request.headers.get('idempotency-key'),
      });
      await sleep(delayMs, request.signal);
      current = spare;
    }
  };
}

// IMF-fixdate, the HTTP date senders must use (RFC 9110 §5.6.7): Date.parse alone takes "-1" for a year.
const httpDate = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now; anything else is ignored. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!httpDate.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
