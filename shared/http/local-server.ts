import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handlerEntry, notFoundFunctionName, type Route, routes } from './routes.ts';

/**
 * The local stand-in for API Gateway: turns each HTTP request into an HTTP API payload 2.0 event
 * and calls the very handler the Lambda runs, chosen from the same route table as the CDK stack.
 */

/** API Gateway's own payload limit; our handlers enforce the smaller contract limit themselves. */
const apiGatewayMaxBodyBytes = 10 * 1024 * 1024;
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

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
    pathParameters[name] = decodeURIComponent(best.match?.[index + 1] ?? '');
  });
  return { route: best.compiled.route, pathParameters };
}

const handlers = new Map<string, Promise<LambdaHandler>>();

function loadHandler(functionName: string): Promise<LambdaHandler> {
  let handler = handlers.get(functionName);
  if (!handler) {
    const url = pathToFileURL(resolve(projectRoot, handlerEntry(functionName))).href;
    handler = import(url).then((module: { handler: LambdaHandler }) => module.handler);
    handlers.set(functionName, handler);
  }
  return handler;
}

export function toApiGatewayEvent(
  request: { method: string; url: string; headers: IncomingMessage['headers']; remoteAddress?: string },
  body: string | undefined,
  matched: { route: Route; pathParameters: Record<string, string> } | undefined,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url, 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const name of new Set(url.searchParams.keys())) {
    queryStringParameters[name] = url.searchParams.getAll(name).join(',');
  }
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

function lambdaContext(functionName: string, requestId: string): Context {
  const deadline = Date.now() + 30_000;
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

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  if (body === 'too-large') {
    writeResult(response, {
      statusCode: 413,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Request Entity Too Large' }),
    });
    return;
  }
  const method = request.method ?? 'GET';
  const matched = matchRoute(method, new URL(request.url ?? '/', 'http://localhost').pathname);
  const event = toApiGatewayEvent(
    { method, url: request.url ?? '/', headers: request.headers, remoteAddress: request.socket.remoteAddress },
    body,
    matched,
  );
  const functionName = matched?.route.functionName ?? notFoundFunctionName;
  const handler = await loadHandler(functionName);
  const result = await handler(event, lambdaContext(functionName, event.requestContext.requestId));
  writeResult(response, result);
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

export function startLocalApi(options: { port: number; host?: string }): Promise<LocalApi> {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
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
