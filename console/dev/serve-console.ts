/**
 * The built console at /console for the local server (`npm start`), as CloudFront serves it in
 * AWS: index.html for the directory, the files of console/dist, nothing outside it.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentSecurityPolicy } from '../security-headers.ts';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
export const consolePath = '/console';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

/** The same headers the CloudFront response headers policy sets (infra/constructs/console-site.ts). */
export const consoleSecurityHeaders = {
  'content-security-policy': contentSecurityPolicy(),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

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
    const body = await readFile(file);
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', ...consoleSecurityHeaders });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch {
    const missing = file === `${dist}index.html` ? 'The console is not built: run `npm run build -w console`.' : 'Not found';
    response.writeHead(404, { 'content-type': 'text/plain' }).end(missing);
  }
}
