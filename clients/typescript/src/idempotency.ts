import type { Middleware } from 'openapi-fetch';
import type { paths } from './schema.js';

type WriteMethod = 'post' | 'put' | 'patch';

/** True when an operation declares an `idempotency-key` header parameter. */
type TakesIdempotencyKey<Operation> = [Operation] extends [never]
  ? false
  : Operation extends { parameters: { header?: infer Header } }
    ? [NonNullable<Header>] extends [never]
      ? false
      : 'idempotency-key' extends keyof NonNullable<Header>
        ? true
        : false
    : false;

/** `POST /v1/touchpoints` and every other write whose operation takes an Idempotency-Key, read from the generated types. */
export type KeyedRoute = {
  [Path in keyof paths]: {
    [Method in WriteMethod]: TakesIdempotencyKey<paths[Path][Method]> extends true ? `${Uppercase<Method>} ${Path}` : never;
  }[WriteMethod];
}[keyof paths];

/**
 * `satisfies` keeps this list equal to the document's: a keyed route added to (or removed from)
 * the API fails the client's type-check until it is listed (or dropped) here.
 */
const keyedRoutes = {
  'POST /v1/touchpoints': true,
  'POST /v1/touchpoints/batch': true,
  'PUT /v1/customers/{customerId}/preferences': true,
  'POST /v1/keys': true,
} as const satisfies Record<KeyedRoute, true>;

export function isKeyedRoute(method: string, schemaPath: string): boolean {
  return Object.hasOwn(keyedRoutes, `${method.toUpperCase()} ${schemaPath}`);
}

/**
 * Gives every keyed write an Idempotency-Key when the caller sent none, before the retry layer
 * sees it: each retry of the request then carries the same key and the server stores it once.
 * A touchpoint that names its own `idempotencyKey` in the body keeps it (the server refuses a
 * header that differs from it).
 */
export function idempotencyKeyMiddleware(newKey: () => string): Middleware {
  return {
    async onRequest({ request, schemaPath }) {
      if (!isKeyedRoute(request.method, schemaPath) || request.headers.has('idempotency-key')) return undefined;
      request.headers.set('idempotency-key', (await keyInBody(request)) ?? newKey());
      return request;
    },
  };
}

async function keyInBody(request: Request): Promise<string | undefined> {
  try {
    const body: unknown = await request.clone().json();
    if (typeof body !== 'object' || body === null || !('idempotencyKey' in body)) return undefined;
    return typeof body.idempotencyKey === 'string' ? body.idempotencyKey : undefined;
  } catch {
    // Not JSON: the server answers for that; the request still gets a key of its own.
    return undefined;
  }
}
