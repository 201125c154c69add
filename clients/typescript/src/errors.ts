import type { components } from './schema.js';

type DocumentedProblem = components['schemas']['Problem'];

/**
 * An RFC 9457 problem document as the API sends it, extension members (customerId, mergeId, ...)
 * included; `about:blank` when something in between (a proxy) answered without one.
 */
export type Problem = Omit<DocumentedProblem, 'type'> & { type: DocumentedProblem['type'] | 'about:blank' } & { readonly [member: string]: unknown };

/**
 * Every answer outside 2xx that the caller did not ask to handle (see `unwrap`), carrying the
 * problem document. `type` is a stable URN such as `urn:touchpoint-api:problem:idempotency-conflict`:
 * branch on it, not on `detail`, which is written for people.
 */
export class TouchpointApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly problem: Problem;
  /** The HTTP response (headers such as Retry-After); its body has been read. */
  readonly response: Response;

  constructor(problem: Problem, response: Response) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'TouchpointApiError';
    this.problem = problem;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.response = response;
  }

  /** Builds the error from a response whose body openapi-fetch has already read (JSON, or text when it was not JSON). */
  static fromResponse(response: Response, body: unknown): TouchpointApiError {
    return new TouchpointApiError(asProblem(response, body), response);
  }
}

export function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const { type, title, status, detail } = value as Record<string, unknown>;
  return typeof type === 'string' && typeof title === 'string' && typeof status === 'number' && typeof detail === 'string';
}

/** A body that is not a problem document (a proxy's HTML page, an empty 502) becomes one, as RFC 9457's `about:blank`. */
function asProblem(response: Response, body: unknown): Problem {
  if (isProblem(body)) return body;
  const text = typeof body === 'string' ? body.trim() : body === undefined ? '' : JSON.stringify(body);
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: text.slice(0, 500) || `The API answered ${response.status} without a problem document.`,
  };
}

/** What openapi-fetch resolves to: the data on 2xx, else the parsed error body. */
export type FetchResult<Data> = { data: Data; error?: never; response: Response } | { data?: never; error: unknown; response: Response };

/** The data of the success branch of an openapi-fetch result. */
export type SuccessData<Result> = Result extends { data: infer Data; error?: never } ? Data : never;

/**
 * The data of a 2xx answer, or a thrown TouchpointApiError carrying the problem document:
 * `const card = await unwrap(client.PATCH('/v1/customers/{customerId}', { ... }))`.
 */
export async function unwrap<Result extends FetchResult<unknown>>(result: Result | Promise<Result>): Promise<SuccessData<Result>> {
  const settled = await result;
  // openapi-fetch sets `data` on every ok answer (undefined for a 204); its union cannot be narrowed on `ok`.
  if (settled.response.ok) return settled.data as SuccessData<Result>;
  throw TouchpointApiError.fromResponse(settled.response, settled.error);
}
