/**
 * A posting system as the contract asks it to behave: every touchpoint carries an Idempotency-Key,
 * and a 503, a dropped connection or a refused one is retried with the same key and body after a
 * jittered back-off (capped by Retry-After). The fault harness runs many of these at once.
 */
import type { TouchpointBody } from './data-set.ts';

export interface PlannedRequest {
  /** Unique in the run; also written into the touchpoint's summary so the checker can find it. */
  id: string;
  idempotencyKey: string;
  body: TouchpointBody;
}

export interface IngestAnswer {
  touchpointId: string;
  customerId: string;
  customerCreated: boolean;
  replayed: boolean;
}

export interface RequestOutcome {
  request: PlannedRequest;
  /** Every attempt's status; 0 for a connection that failed or was cut. */
  statuses: number[];
  /** The acknowledged result (a 201, or a 200 replay), if any attempt got one. */
  answer?: IngestAnswer;
  finalStatus: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  /** First back-off; doubles per attempt, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per attempt: a request that hangs (a killed server) is abandoned and retried. */
  attemptTimeoutMs: number;
  random: () => number;
}

export const defaultRetryPolicy: Omit<RetryPolicy, 'random'> = {
  maxAttempts: 40,
  baseDelayMs: 25,
  maxDelayMs: 1_000,
  attemptTimeoutMs: 10_000,
};

/** What one attempt got back; a transport throws when the connection failed (refused, reset, timed out). */
export interface AttemptAnswer {
  status: number;
  retryAfterSeconds?: number;
  body: string;
}

/** Sends one attempt of a planned request: over HTTP, or straight into the Lambda handler in tests. */
export type Transport = (request: PlannedRequest) => Promise<AttemptAnswer>;

export interface ClientOptions {
  policy: RetryPolicy;
  transport: Transport;
}

/** POST /v1/touchpoints over HTTP, with the client's credentials. */
export function httpTransport(baseUrl: () => string, headers: Record<string, string>, attemptTimeoutMs = defaultRetryPolicy.attemptTimeoutMs): Transport {
  return async (request) => {
    const response = await fetch(`${baseUrl()}/v1/touchpoints`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(attemptTimeoutMs),
    });
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      status: response.status,
      body: await response.text(),
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    };
  };
}

export async function postWithRetries(request: PlannedRequest, options: ClientOptions): Promise<RequestOutcome> {
  const { policy } = options;
  const statuses: number[] = [];
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
    let status = 0;
    let retryAfterMs: number | undefined;
    try {
      const answer = await options.transport(request);
      status = answer.status;
      if (status === 201 || status === 200) {
        statuses.push(status);
        return { request, statuses, answer: JSON.parse(answer.body) as IngestAnswer, finalStatus: status };
      }
      if (answer.retryAfterSeconds !== undefined) retryAfterMs = answer.retryAfterSeconds * 1000;
    } catch {
      // Refused, reset or timed out: the server may or may not have done the work; the key makes retrying safe.
      status = 0;
    }
    statuses.push(status);
    // Only "try again" answers are retried; a 4xx or a 500 is the final word (and a finding).
    if (status !== 0 && status !== 503) return { request, statuses, finalStatus: status };
    const ceiling = Math.min(policy.maxDelayMs, retryAfterMs ?? Number.POSITIVE_INFINITY, policy.baseDelayMs * 2 ** (attempt - 1));
    await new Promise((resolve) => setTimeout(resolve, policy.random() * ceiling));
  }
  return { request, statuses, finalStatus: statuses[statuses.length - 1] ?? 0 };
}

/** Sends every request through `concurrency` clients, each retrying its request until it is acknowledged. */
export async function runRetryingClients(
  requests: PlannedRequest[],
  options: ClientOptions & { concurrency: number; onOutcome?: (outcome: RequestOutcome, done: number) => void },
): Promise<RequestOutcome[]> {
  const outcomes: RequestOutcome[] = new Array(requests.length);
  let next = 0;
  let done = 0;
  const client = async () => {
    while (next < requests.length) {
      const index = next++;
      const outcome = await postWithRetries(requests[index] as PlannedRequest, options);
      outcomes[index] = outcome;
      done += 1;
      options.onOutcome?.(outcome, done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  return outcomes;
}
