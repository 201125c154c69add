import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { ValidationError } from '../domain/errors.ts';
import { logger } from '../observability/logger.ts';
import { toProblemResponse } from './error-boundary.ts';
import { jsonDefect } from './json-guard.ts';
import { HttpProblemError, problem } from './problems.ts';

/** The most a JSON body may weigh: a batch of 100 touchpoints fits with room to spare. */
export const maxBodyBytes = 256 * 1024;

/** An HTTP API (payload 2.0) event whose JSON body, if the route takes one, is already parsed. */
export type ApiEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body: unknown; rawBody?: string };

export interface ApiResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A route; the Lambda context is there for a route that must watch its deadline. */
export type Route = (event: ApiEvent, context?: Context) => Promise<ApiResponse>;

export interface ApiHandlerOptions {
  /**
   * The route reads a JSON body: enforce content type and size, and parse it. `'optional'`: a
   * request may also come with no body at all (then no content type is needed either).
   * `'or-text-plain'` also takes JSON sent as text/plain: a browser's sendBeacon can send no other
   * type cross-origin without a preflight.
   */
  jsonBody?: boolean | 'optional' | 'or-text-plain';
  /**
   * The route reads query parameters (and validates them itself). Any other route refuses every
   * query parameter: a typo such as `?limt=10` must not pass as if it had been heeded.
   */
  takesQuery?: boolean;
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/**
 * Wraps a route in the project's one middleware stack: error boundary (outermost, so it sees every
 * failure), Powertools logger with the request id as correlation id, header normalisation, JSON body.
 */
export function apiHandler(route: Route, options: ApiHandlerOptions = {}): Handler {
  const base = async (event: ApiEvent, context: Context): Promise<APIGatewayProxyResultV2> => toResult(await route(event, context));
  const stack = middy<ApiEvent, APIGatewayProxyResultV2>()
    .use(errorBoundary())
    .use(injectLambdaContext(logger, { correlationIdPath: 'requestContext.requestId', resetKeys: true }))
    .use(httpHeaderNormalizer());
  if (!options.takesQuery) stack.use(noQuery());
  if (options.jsonBody) stack.use(jsonBody(options.jsonBody));
  return stack.handler(base) as unknown as Handler;
}

function toResult(response: ApiResponse): APIGatewayProxyResultV2 {
  // An answer without a body (204) has no content, so it names no content type.
  if (response.body === undefined) return { statusCode: response.statusCode, headers: { ...response.headers }, body: '' };
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': 'application/json', ...response.headers },
    body: JSON.stringify(response.body),
  };
}

function errorBoundary(): middy.MiddlewareObj<ApiEvent, APIGatewayProxyResultV2> {
  return {
    onError: async (request) => {
      const requestId = request.event.requestContext?.requestId ?? 'unknown';
      const { problem: body, headers } = toProblemResponse(request.error, requestId);
      request.response = {
        statusCode: body.status,
        headers: { 'content-type': 'application/problem+json', ...headers },
        body: JSON.stringify(body),
      };
    },
  };
}

function noQuery(): middy.MiddlewareObj<ApiEvent, APIGatewayProxyResultV2> {
  return {
    before: async ({ event }) => {
      const names = Object.keys(event.queryStringParameters ?? {});
      if (names.length === 0) return;
      throw new ValidationError(
        names.map((name) => ({ path: `query.${name}`, message: 'is not a parameter of this route' })),
        'This route takes no query parameters.',
      );
    },
  };
}

/**
 * Our own JSON body parser: @middy/http-json-body-parser answers malformed JSON with 415, and the
 * contract says 400 for malformed JSON, 415 for a wrong content type and 413 for an oversized body.
 */
function jsonBody(mode: true | 'optional' | 'or-text-plain'): middy.MiddlewareObj<ApiEvent, APIGatewayProxyResultV2> {
  const optional = mode === 'optional';
  const orTextPlain = mode === 'or-text-plain';
  return {
    before: async (request) => {
      const { event } = request;
      if (optional && (event.body === undefined || event.body === '')) {
        event.body = undefined;
        return;
      }
      const contentType = event.headers?.['content-type'] ?? '';
      const isJson = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType);
      if (!isJson && !(orTextPlain && /^text\/plain\s*(?:;|$)/i.test(contentType))) {
        throw new HttpProblemError(
          problem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the body as JSON with Content-Type: application/json.'),
        );
      }
      const raw = typeof event.body === 'string' ? event.body : '';
      const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      if (Buffer.byteLength(text, 'utf8') > maxBodyBytes) {
        throw new HttpProblemError(problem(413, 'payload-too-large', 'Payload too large', `The body may be at most ${maxBodyBytes / 1024} KB.`));
      }
      event.rawBody = text;
      try {
        event.body = JSON.parse(text);
      } catch (error) {
        throw new HttpProblemError(problem(400, 'malformed-json', 'Malformed JSON', `The body is not valid JSON: ${(error as Error).message}`));
      }
      // Valid JSON we still refuse: duplicate keys (parsers disagree on which wins), absurd nesting, lone surrogates.
      const defect = jsonDefect(text);
      if (defect) {
        throw new HttpProblemError(problem(400, 'malformed-json', 'Malformed JSON', `The body is refused: ${defect}.`));
      }
    },
  };
}

export function header(event: ApiEvent, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}
