import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Site {
  origin: string;
  close(): Promise<void>;
}

/**
 * A website on a port of its own (so another origin than the API): every path answers the same
 * page with the snippet's one tag, as a single-page app's server does; /touchpoint.js is the
 * built snippet.
 */
export async function startSite(snippetFile: string, tag: () => { api: string; key: string }): Promise<Site> {
  const snippet = readFileSync(snippetFile);
  // The key is made for the site's origin, known once it listens: the tag is read per request.
  const page = ({ api, key }: { api: string; key: string }) => `<!doctype html><html><head><title>Shop home</title>
<script async src="/touchpoint.js" data-api="${api}" data-key="${key}"></script></head>
<body><h1>Shop</h1></body></html>`;
  const server = createServer((request, response) => {
    if (request.url === '/touchpoint.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(snippet);
    } else {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(tag()));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
