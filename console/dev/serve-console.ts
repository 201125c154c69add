/**
 * The built console at /console for the local server (`npm start`), as CloudFront serves it in
 * AWS: index.html for the directory, the files of console/dist, nothing outside it.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { environmentSection } from '../../shared/config/config.ts';
import { contentSecurityPolicy } from '../security-headers.ts';
import { defaultSignInScope, type OidcSettings } from '../src/config.ts';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
export const consolePath = '/console';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

/**
 * The sign-in the local console offers, from the environment as the CDK app takes it from context
 * (jwtIssuer, jwtAudience, consoleClientId, consoleScopes): the API's issuer (the authorizer reads
 * the same JWT_ISSUER and JWT_AUDIENCE) and the console's own client there. Read at the first
 * request, so `npm start -- --oidc` and the tests can start the issuer after the server.
 */
export const localSignIn = environmentSection(
  'console sign-in configuration',
  z
    .object({
      JWT_ISSUER: z.url().optional(),
      JWT_AUDIENCE: z.string().min(1).optional(),
      TOUCHPOINT_CONSOLE_CLIENT_ID: z.string().min(1).optional(),
      TOUCHPOINT_CONSOLE_SCOPES: z.string().min(1).default(defaultSignInScope),
    })
    .refine((env) => !env.TOUCHPOINT_CONSOLE_CLIENT_ID || env.JWT_ISSUER, {
      message: "TOUCHPOINT_CONSOLE_CLIENT_ID needs JWT_ISSUER: the console signs in with the API's own issuer",
      path: ['JWT_ISSUER'],
    })
    .transform((env): OidcSettings | undefined =>
      env.JWT_ISSUER && env.TOUCHPOINT_CONSOLE_CLIENT_ID
        ? {
            issuer: env.JWT_ISSUER,
            clientId: env.TOUCHPOINT_CONSOLE_CLIENT_ID,
            scope: env.TOUCHPOINT_CONSOLE_SCOPES,
            ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
          }
        : undefined,
    ),
);

/** The same headers the CloudFront response headers policy sets (infra/constructs/console-site.ts). */
export function consoleSecurityHeaders(): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(localSignIn()?.issuer),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function isConsolePath(pathname: string): boolean {
  return pathname === consolePath || pathname.startsWith(`${consolePath}/`);
}

export async function serveConsole(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (url.pathname === consolePath) {
    // Relative asset URLs need the trailing slash; the query (?phone=…) goes along.
    response.writeHead(308, { location: `${consolePath}/${url.search}` }).end();
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const relative = decoded(url.pathname.slice(consolePath.length + 1));
  const file = relative === undefined ? undefined : resolve(dist, relative || 'index.html');
  const type = file ? contentTypes[extname(file)] : undefined;
  // resolve() has folded any `..`: what is not under dist now is outside it.
  if (!file || !type || !file.startsWith(dist)) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    return;
  }
  try {
    const body = file === `${dist}config.json` ? withSignIn(await readFile(file, 'utf8')) : await readFile(file);
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', ...consoleSecurityHeaders() });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch {
    const missing = file === `${dist}index.html` ? 'The console is not built: run `npm run build -w console`.' : 'Not found';
    response.writeHead(404, { 'content-type': 'text/plain' }).end(missing);
  }
}

/** The built config.json, with the sign-in settings added when the environment names a console client. */
function withSignIn(built: string): string {
  const oidc = localSignIn();
  return oidc ? `${JSON.stringify({ ...JSON.parse(built), oidc })}\n` : built;
}
