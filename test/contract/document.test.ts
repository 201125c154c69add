import { describe, expect, it } from 'vitest';
import { usesAuthorizer } from '../../shared/auth/access.ts';
import { documentedRoutes, openApiDocument } from '../../shared/http/openapi.ts';
import { routes } from '../../shared/http/routes.ts';
import { channels } from '../../shared/schemas/touchpoint.ts';
import { type Exchange, exchangeViolations } from '../helpers/contract.ts';

type Json = Record<string, unknown>;
const document = JSON.parse(JSON.stringify(openApiDocument())) as {
  servers: Json[];
  tags: Json[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
};
const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));
const responsesOf = (operation: Json) => operation.responses as Record<string, Json>;

/** Every place a key occurs in a JSON value, as a path. */
function pathsOfKey(value: unknown, key: string, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([name, child]) => [...(name === key ? [`${path}/${name}`] : []), ...pathsOfKey(child, key, `${path}/${name}`)]);
}

describe('the served document is complete', () => {
  it('has an operation for every route, each with a description, a tag and its security', () => {
    // Connectors' webhooks take the vendors' payloads (docs/connectors.md), not the API's.
    expect(operations).toHaveLength(documentedRoutes.length);
    for (const { path, method, operation } of operations) {
      const where = `${method} ${path}`;
      expect(operation.description, where).toEqual(expect.stringMatching(/\S{10}/));
      expect(operation.tags, where).toHaveLength(1);
      const route = routes.find((candidate) => candidate.path === path && candidate.method.toLowerCase() === method);
      const bearer = route !== undefined && usesAuthorizer(route.access);
      expect(operation.security, where).toEqual(bearer ? [{ bearer: [] }] : []);
      if (bearer) expect(operation['x-required-scopes'], where).toBeInstanceOf(Array);
    }
  });

  it('names the local and a deployed server, and describes every tag it uses', () => {
    expect(document.servers.map((server) => server.url)).toEqual(['http://127.0.0.1:3000', 'https://{apiId}.execute-api.{region}.amazonaws.com']);
    const used = new Set(operations.flatMap(({ operation }) => operation.tags as string[]));
    expect(document.tags.map((tag) => tag.name).sort()).toEqual([...used].sort());
  });

  it('describes every parameter', () => {
    const undescribed = operations.flatMap(({ path, method, operation }) =>
      ((operation.parameters ?? []) as Json[]).filter((parameter) => !parameter.description).map((parameter) => `${method} ${path} ${parameter.name}`),
    );
    expect(undescribed).toEqual([]);
  });

  it('documents 401 and 403 on every protected route, and 429, 503 with Retry-After and a default problem on all', () => {
    for (const { path, method, operation } of operations) {
      const responses = responsesOf(operation);
      const where = `${method} ${path}`;
      if ((operation.security as unknown[]).length > 0) expect(Object.keys(responses), where).toEqual(expect.arrayContaining(['401', '403']));
      expect(Object.keys(responses), where).toEqual(expect.arrayContaining(['429', '503', 'default']));
      expect(responses['503']?.headers, where).toMatchObject({ 'Retry-After': { required: true } });
    }
  });

  it('documents the 300 of a lookup by a shared identifier with a schema of its own', () => {
    const lookup = document.paths['/v1/customers/lookup']?.get as Json;

    expect(responsesOf(lookup)['300']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/LookupCandidates' } } },
    });
  });

  it('marks request bodies required, with an example, except those of undo and dismiss, which may be left out', () => {
    const optionalBodies = ['/v1/merges/{mergeId}/undo', '/v1/merge-candidates/{candidateId}/dismiss'];
    for (const { path, method, operation } of operations) {
      const body = operation.requestBody as Json | undefined;
      if (!body) continue;
      expect(body.required, `${method} ${path}`).toBe(!optionalBodies.includes(path));
      expect(pathsOfKey(body, 'example'), `${method} ${path}`).not.toEqual([]);
    }
  });

  it('carries no default in any schema, so that a generated client keeps optional fields optional', () => {
    const defaults = pathsOfKey(document.components.schemas, 'default').concat(
      pathsOfKey(document.paths, 'default').filter((path) => !path.endsWith('/responses/default')),
    );

    expect(defaults).toEqual([]);
  });

  it('lets a touchpoint leave out source, which the credential names', () => {
    const call = document.components.schemas.CallTouchpoint as { required: string[]; properties: Json };

    expect(call.properties).toHaveProperty('source');
    expect(call.required).not.toContain('source');
    expect(call.required).toEqual(expect.arrayContaining(['channel', 'identifiers', 'details']));
  });

  it('discriminates the touchpoint union by channel, one component per channel', () => {
    const union = document.components.schemas.TouchpointInput as { discriminator: { propertyName: string; mapping: Json } };

    expect(union.discriminator.propertyName).toBe('channel');
    expect(Object.keys(union.discriminator.mapping).sort()).toEqual([...channels].sort());
  });

  it('lists every problem type with what it means', () => {
    const type = (document.components.schemas.Problem as { properties: { type: { enum: string[]; description: string } } }).properties.type;

    expect(type.enum).toEqual(expect.arrayContaining(['urn:touchpoint-api:problem:validation-failed', 'urn:touchpoint-api:problem:store-unavailable']));
    for (const uri of type.enum) expect(type.description).toContain(uri);
  });
});

describe('the contract check is strict', () => {
  const customerId = `cus_${'0'.repeat(26)}`;
  const health = (body: unknown, extra: Partial<Exchange> = {}): Exchange => ({
    method: 'GET',
    path: '/v1/health',
    status: 200,
    responseHeaders: { 'content-type': 'application/json' },
    responseBody: JSON.stringify(body),
    ...extra,
  });

  it('passes an answer the document describes', () => {
    expect(exchangeViolations(health({ status: 'ok' }))?.problems).toEqual([]);
  });

  it('finds a field the document does not name', () => {
    expect(exchangeViolations(health({ status: 'ok', uptime: 3 }))?.problems).toEqual(['(root) must NOT have additional properties: uptime']);
  });

  it('finds a status the operation does not document', () => {
    expect(exchangeViolations(health({ status: 'ok' }, { status: 201 }))?.problems).toEqual(['status 201 is not documented']);
  });

  it('finds a content type on an answer without content', () => {
    const unlinked = exchangeViolations({
      method: 'DELETE',
      path: `/v1/customers/${customerId}/identifiers/email/a%40b.example`,
      status: 204,
      responseHeaders: { 'content-type': 'application/json' },
      responseBody: '',
    });

    expect(unlinked?.problems).toEqual(['content-type application/json on an answer without content']);
  });

  it('finds a 503 without Retry-After', () => {
    const problem = { type: 'urn:touchpoint-api:problem:store-unavailable', title: 'Service unavailable', status: 503, detail: 'Retry.' };

    const answer = exchangeViolations(health(problem, { status: 503, responseHeaders: { 'content-type': 'application/problem+json' } }));

    expect(answer?.problems).toEqual(['header Retry-After is required']);
  });

  it('finds an accepted request the document would refuse, but not a batch item the server refused', () => {
    const accepted = (items: unknown[], statuses: number[]): Exchange => ({
      method: 'POST',
      path: '/v1/touchpoints/batch',
      requestHeaders: { 'content-type': 'application/json' },
      requestBody: JSON.stringify({ items }),
      status: 207,
      responseHeaders: { 'content-type': 'application/json' },
      responseBody: JSON.stringify({
        results: statuses.map((status) =>
          status === 202
            ? { touchpointId: `tp_${'0'.repeat(26)}`, status }
            : { type: 'urn:touchpoint-api:problem:validation-failed', title: 'Invalid request', status, detail: 'Invalid.' },
        ),
      }),
    });
    const call = { channel: 'call', identifiers: { phone: '+442079460018' }, details: { direction: 'inbound', durationSeconds: 1 } };

    expect(exchangeViolations(accepted([call, { channel: 'call' }], [202, 422]))?.problems).toEqual([]);
    expect(exchangeViolations(accepted([{ ...call, mood: 'happy' }], [202]))?.problems).toEqual(
      expect.arrayContaining(['request: /items/0 must NOT have additional properties: mood']),
    );
  });
});
