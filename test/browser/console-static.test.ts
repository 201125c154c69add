import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../console/security-headers.ts';
import { buildConsole } from '../../console/scripts/build.ts';
import { type LocalApi, startLocalApi } from '../../dev/local-server.ts';

/** The local server's /console route: the built files, their headers, and nothing outside console/dist. */
let api: LocalApi;

beforeAll(async () => {
  await buildConsole();
  api = await startLocalApi({ port: 0 });
});
afterAll(async () => {
  await api.close();
});

describe('the console at /console on the local server', () => {
  it('leads /console to /console/ keeping the query, so a ?phone= screen pop survives', async () => {
    const answer = await fetch(`${api.url}/console?phone=020%207946%200018`, { redirect: 'manual' });
    expect(answer.status).toBe(308);
    expect(answer.headers.get('location')).toBe('/console/?phone=020%207946%200018');
  });

  it('serves index.html, the script and the same-origin config with the security headers', async () => {
    const page = await fetch(`${api.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(contentSecurityPolicy());
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<script type="module" src="app.js">');
    const script = await fetch(`${api.url}/console/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await (await fetch(`${api.url}/console/config.json`)).json()).toEqual({ apiBaseUrl: '' });
  });

  it('serves nothing outside the build, nothing of an unknown type, and only to GET and HEAD', async () => {
    for (const path of ['/console/%2e%2e/package.json', '/console/..%2f..%2fpackage.json', '/console/%E0%A4%A', '/console/missing.js', '/console/app.js.map']) {
      expect({ path, status: (await fetch(`${api.url}${path}`)).status }).toEqual({ path, status: 404 });
    }
    expect((await fetch(`${api.url}/console/`, { method: 'POST', body: '{}' })).status).toBe(405);
  });

  it('leaves the API routes to the API: /consoles is not the console', async () => {
    const answer = await fetch(`${api.url}/consoles`);
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
  });
});
