import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from 'aws-lambda';
import { isConsolePath, serveConsole } from '../console/dev/serve-console.ts';
import { bearerToken } from '../shared/auth/api-keys.ts';
import { usesAuthorizer } from '../shared/auth/access.ts';
import { defaultAuthorizerCacheSeconds } from '../shared/auth/authorizer-cache.ts';
import { documentClient } from '../shared/db/client.ts';
import { faultInjectionFromEnvironment, injectDynamoDbFaults } from '../shared/db/fault-injection.ts';
import { problem } from '../shared/http/problems.ts';
import { logger } from '../shared/observability/logger.ts';
import { authorizerFunctionName, handlerEntry, notFoundFunctionName, type Route, routes, timeoutSecondsOf } from '../shared/http/routes.ts';

/**
 * The local stand-in for API Gateway: turns each HTTP request into an HTTP API payload 2.0 event
 * and calls the very handler the Lambda runs, chosen from the same route table as the CDK stack.
 */

/** API Gateway's own payload limit; our handlers enforce the smaller contract limit themselves. */
const apiGatewayMaxBodyBytes = 10 * 1024 * 1024;
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  parameterNames: string[];
}

const compiledRoutes: CompiledRoute[] = routes.map((route) => {
  const parameterNames: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const parameter = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter[1] as string);
      return parameter[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), parameterNames };
});

/** Like API Gateway, a route with fewer path parameters (more literal) wins over a more general one. */
export function matchRoute(method: string, path: string): { route: Route; pathParameters: Record<string, string> } | undefined {
  const matches = compiledRoutes
    .filter((compiled) => compiled.route.method === method)
    .map((compiled) => ({ compiled, match: compiled.pattern.exec(path) }))
    .filter((candidate) => candidate.match !== null)
    .sort((a, b) => a.compiled.parameterNames.length - b.compiled.parameterNames.length);
  const best = matches[0];
  if (!best?.match) return undefined;
  const pathParameters: Record<string, string> = {};
  best.compiled.parameterNames.forEach((name, index) => {
    pathParameters[name] = decodePathSegment(best.match?.[index + 1] ?? '');
  });
  return { route: best.compiled.route, pathParameters };
}

/** A malformed escape (`%E0%A4%A`) stays as sent, for the handler's validation to refuse, not a 500 here. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const handlers = new Map<string, Promise<unknown>>();

function loadHandler<H = LambdaHandler>(functionName: string): Promise<H> {
  let handler = handlers.get(functionName);
  if (!handler) {
    const url = pathToFileURL(resolve(projectRoot, handlerEntry(functionName))).href;
    handler = import(url).then((module: { handler: unknown }) => module.handler);
    handlers.set(functionName, handler);
  }
  return handler as Promise<H>;
}

type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEventV2,
  context: Context,
) => Promise<APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>>>;

/**
 * API Gateway's Lambda authorizer step, as the HTTP API runs it: a request without the identity
 * source (Authorization) gets 401 without calling the authorizer; otherwise the authorizer's
 * answer, cached per Authorization header and route key for the TTL, gives 403 on deny, or puts
 * its context into `requestContext.authorizer.lambda`. Locally the refusals are problem details;
 * API Gateway answers `{"message":"Unauthorized"}` / `{"message":"Forbidden"}` with the same codes.
 */
class LocalAuthorizer {
  private readonly cache = new Map<string, { expiresAt: number; result: APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>> }>();

  constructor(private readonly ttlSeconds: number) {}

  /**
   * No refusal when the request may go on (the event then carries the authorizer context); `ran`
   * says whether the authorizer function was asked (a cached answer or a missing credential asks none).
   */
  async check(event: APIGatewayProxyEventV2, route: Route): Promise<{ refusal?: APIGatewayProxyStructuredResultV2; ran: boolean }> {
    if (!usesAuthorizer(route.access)) return { ran: false };
    const authorization = event.headers.authorization;
    if (!authorization) {
      return {
        refusal: refusal(401, 'unauthenticated', 'Unauthenticated', 'Send a credential: Authorization: Bearer <API key or token>.', {
          'www-authenticate': 'Bearer',
        }),
        ran: false,
      };
    }
    let decided: { result: APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>>; ran: boolean };
    try {
      decided = await this.decide(event, authorization);
    } catch (error) {
      // API Gateway answers 500 when the authorizer fails; locally a 503 says "retry" more honestly.
      console.error('Local authorizer failure', error);
      return {
        refusal: refusal(503, 'authorizer-unavailable', 'Service unavailable', 'The credential could not be checked; retry shortly.', {
          'retry-after': '1',
        }),
        ran: true,
      };
    }
    const { result, ran } = decided;
    if (!result.isAuthorized) {
      // The one reason worth telling: it is about the header's form, not about any key.
      const detail =
        bearerToken(authorization) === undefined
          ? 'The Authorization header must read "Bearer <API key or token>": the "Bearer " prefix is missing.'
          : 'The credential is not valid for this route: unknown, revoked or expired, or without the scope it needs.';
      return { refusal: refusal(403, 'forbidden', 'Forbidden', detail), ran };
    }
    (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: result.context ?? {} };
    return { ran };
  }

  private async decide(event: APIGatewayProxyEventV2, authorization: string) {
    const cacheKey = `${authorization}\u0000${event.routeKey}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAt > Date.now()) return { result: cached.result, ran: false };
    const authorizer = await loadHandler<AuthorizerHandler>(authorizerFunctionName);
    const result = await authorizer(toAuthorizerEvent(event, authorization), lambdaContext(authorizerFunctionName, event.requestContext.requestId));
    if (this.ttlSeconds > 0) {
      // Bounded: a flood of distinct bogus headers must not grow the cache without end.
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(cacheKey, { expiresAt: Date.now() + this.ttlSeconds * 1000, result });
    }
    return { result, ran: true };
  }
}

function refusal(status: number, slug: string, title: string, detail: string, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(problem(status, slug, title, detail)),
  };
}

/** The REQUEST authorizer event (payload 2.0) API Gateway sends, with the identity sources it is cached by. */
export function toAuthorizerEvent(event: APIGatewayProxyEventV2, authorization: string): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${event.requestContext.http.method}${event.rawPath}`,
    identitySource: [authorization, event.routeKey],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    ...(event.cookies ? { cookies: event.cookies } : {}),
    headers: event.headers as Record<string, string>,
    ...(event.queryStringParameters ? { queryStringParameters: event.queryStringParameters as Record<string, string> } : {}),
    ...(event.pathParameters ? { pathParameters: event.pathParameters as Record<string, string> } : {}),
    requestContext: event.requestContext,
  } as APIGatewayRequestAuthorizerEventV2;
}

export function toApiGatewayEvent(
  request: { method: string; url: string; headers: IncomingMessage['headers']; remoteAddress?: string },
  body: string | undefined,
  matched: { route: Route; pathParameters: Record<string, string> } | undefined,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url, 'http://localhost');
  // Built from entries, not by assignment: a `__proto__` parameter or header stays an own key, as
  // in the event API Gateway sends (where the handler refuses it), instead of vanishing locally.
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name.toLowerCase(), Array.isArray(value) ? value.join(',') : value]],
    ),
  );
  const queryStringParameters: Record<string, string> = Object.fromEntries(
    [...new Set(url.searchParams.keys())].map((name) => [name, url.searchParams.getAll(name).join(',')]),
  );
  const routeKey = matched ? `${matched.route.method} ${matched.route.path}` : '$default';
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(headers.cookie ? { cookies: headers.cookie.split(';').map((cookie) => cookie.trim()) } : {}),
    headers,
    ...(url.searchParams.size > 0 ? { queryStringParameters } : {}),
    ...(matched && Object.keys(matched.pathParameters).length > 0 ? { pathParameters: matched.pathParameters } : {}),
    ...(body !== undefined && body.length > 0 ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: request.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

/** The context Lambda hands a function, with the function's own deadline unless told. */
export function lambdaContext(functionName: string, requestId: string, timeoutMs = timeoutSecondsOf(functionName) * 1000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readBody(request: IncomingMessage): Promise<string | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > apiGatewayMaxBodyBytes) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One request as the local server saw it: what API Gateway's access log and Lambda's REPORT line say together. */
export interface RequestLogEntry {
  method: string;
  /** The route key matched (`GET /v1/customers/{customerId}`), or `$default` for none. */
  route: string;
  status: number;
  durationMs: number;
  requestId: string;
  /** The function that answered: the route's, the authorizer's when it refused, or none (refused before any ran). */
  functionName: string | null;
}

export function formatRequestLine(entry: RequestLogEntry): string {
  const path = entry.route === '$default' ? '$default' : entry.route.slice(entry.route.indexOf(' ') + 1);
  return `${entry.method} ${path} ${entry.status} ${entry.durationMs} ms ${entry.functionName ?? '-'} ${entry.requestId}`;
}

interface Handled {
  result: APIGatewayProxyResultV2;
  route: string;
  requestId: string;
  functionName: string | null;
}

async function handle(request: IncomingMessage, authorizer: LocalAuthorizer): Promise<Handled> {
  const body = await readBody(request);
  if (body === 'too-large') {
    return {
      result: { statusCode: 413, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Request Entity Too Large' }) },
      route: '$default',
      requestId: randomUUID(),
      functionName: null,
    };
  }
  const method = request.method ?? 'GET';
  const matched = matchRoute(method, new URL(request.url ?? '/', 'http://localhost').pathname);
  const event = toApiGatewayEvent({ method, url: request.url ?? '/', headers: request.headers, remoteAddress: request.socket.remoteAddress }, body, matched);
  const { requestId } = event.requestContext;
  const checked = matched ? await authorizer.check(event, matched.route) : undefined;
  if (checked?.refusal) return { result: checked.refusal, route: event.routeKey, requestId, functionName: checked.ran ? authorizerFunctionName : null };
  const functionName = matched?.route.functionName ?? notFoundFunctionName;
  const handler = await loadHandler(functionName);
  const result = await handler(event, lambdaContext(functionName, requestId));
  return { result, route: event.routeKey, requestId, functionName };
}

function statusOf(result: APIGatewayProxyResultV2): number {
  return typeof result === 'object' && result !== null && 'statusCode' in result ? (result.statusCode ?? 200) : 200;
}

function writeResult(response: ServerResponse, result: APIGatewayProxyResultV2): void {
  // A handler may return a bare value; API Gateway then answers 200 with it as JSON.
  const structured: APIGatewayProxyStructuredResultV2 =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? result
      : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  const body = structured.isBase64Encoded && structured.body ? Buffer.from(structured.body, 'base64') : (structured.body ?? '');
  response.writeHead(structured.statusCode ?? 200, {
    ...(structured.headers as Record<string, string>),
    ...(structured.cookies ? { 'set-cookie': structured.cookies } : {}),
  });
  response.end(body);
}

export interface LocalApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface LocalApiOptions {
  port: number;
  host?: string;
  /** How long authorizer answers are cached (0: not at all); TOUCHPOINT_AUTHORIZER_CACHE_SECONDS or the AWS default (60 s). */
  authorizerCacheSeconds?: number;
  /** Told of every request once it is answered (npm start prints a line for each). */
  onRequest?: (entry: RequestLogEntry) => void;
}

let faultsInjected = false;

/** TOUCHPOINT_FAULT_RATE: a share of the handlers' DynamoDB calls fail on purpose (development and the fault runs; never deployed). */
function injectFaultsAsTheEnvironmentAsks(): void {
  const faults = faultInjectionFromEnvironment();
  if (!faults || faultsInjected) return;
  faultsInjected = true;
  injectDynamoDbFaults(documentClient(), faults);
  logger.warn('Fault injection is on: DynamoDB calls fail on purpose', { rate: faults.rate, kinds: faults.kinds });
}

export function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  injectFaultsAsTheEnvironmentAsks();
  const authorizer = new LocalAuthorizer(
    options.authorizerCacheSeconds ?? Number(process.env.TOUCHPOINT_AUTHORIZER_CACHE_SECONDS ?? defaultAuthorizerCacheSeconds),
  );
  const server = createServer((request, response) => {
    const started = performance.now();
    const method = request.method ?? 'GET';
    // The staff console's static files, where CloudFront serves them in AWS: not an API route.
    const served = isConsolePath(new URL(request.url ?? '/', 'http://localhost').pathname)
      ? serveConsole(request, response).then(() => undefined)
      : handle(request, authorizer);
    served
      .then((handled) => {
        if (!handled) return;
        writeResult(response, handled.result);
        options.onRequest?.({
          method,
          route: handled.route,
          status: statusOf(handled.result),
          durationMs: Math.round(performance.now() - started),
          requestId: handled.requestId,
          functionName: handled.functionName,
        });
      })
      .catch((error: unknown) => {
        console.error('Local adapter failure', error);
        if (!response.headersSent) {
          writeResult(response, {
            statusCode: 500,
            headers: { 'content-type': 'application/problem+json' },
            body: JSON.stringify({ type: 'about:blank', title: 'Internal error', status: 500, detail: 'The local adapter failed.' }),
          });
        } else {
          response.end();
        }
      });
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolveStart({
        url: `http://localhost:${port}`,
        server,
        close: () =>
          new Promise<void>((resolveClose) => {
            server.close(() => resolveClose());
            server.closeAllConnections();
          }),
      });
    });
  });
}
