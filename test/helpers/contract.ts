import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { afterAll, afterEach, type TestContext } from 'vitest';
import { openApiDocument } from '../../shared/http/openapi.ts';

/**
 * The served OpenAPI document held to every exchange the tests make: each answer must be one the
 * document describes for its operation and status (schemas closed: a field it does not name is a
 * violation), and each request the server accepted (2xx) must be one the document allows. The
 * request helpers (api-event, route-client, json-client) hand every exchange to `checkExchange`;
 * a violation fails the test that made it (or, made in a hook, the file).
 */

export interface Exchange {
  method: string;
  /** The concrete path as sent, without the query string; URL-encoded segments are decoded here. */
  path: string;
  query?: Record<string, string | undefined> | undefined;
  requestHeaders?: Record<string, string | undefined> | undefined;
  /** The raw request body, if any. */
  requestBody?: string | undefined;
  status: number;
  responseHeaders: Record<string, string>;
  /** The raw response body ('' for none). */
  responseBody: string;
}

type Json = Record<string, unknown>;
interface Operation {
  template: string;
  method: string;
  pointer: string;
  definition: Json;
}

const documentJson = JSON.stringify(openApiDocument());
const document = JSON.parse(documentJson) as Json;
const documentId = 'https://touchpoint.test/openapi.json';

// OpenAPI's own keywords inside schemas (annotations for JSON Schema purposes), and the document's
// fields outside them, which Ajv meets when it resolves a reference into the document.
const openApiKeywords = ['example', 'discriminator', 'xml', 'externalDocs'];
const documentFields = ['openapi', 'info', 'servers', 'paths', 'components', 'security', 'tags', 'webhooks', 'jsonSchemaDialect'];

function newAjv(coerceTypes: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, coerceTypes });
  // ajv-formats is CommonJS: its plugin is the module's `default` to TypeScript and to Node alike.
  ajvFormats.default(ajv);
  ajv.addVocabulary([...openApiKeywords, ...documentFields]);
  ajv.addSchema(document, documentId);
  return ajv;
}

interface Validators {
  bodies: Ajv2020;
  /** Path, query and header values arrive as strings: a `limit` of "50" is the integer 50 to the server. */
  parameters: Ajv2020;
  compiled: Map<string, ValidateFunction>;
}

// This module is evaluated again for every test file (per-file-setup), and building Ajv and
// compiling its validators took about a second of each. They are kept for the worker's life, for
// as long as the document they were made from is the one this file's modules generate.
const validatorsKey = Symbol.for('touchpoint-test.contract-validators');
const holder = globalThis as { [validatorsKey]?: { documentJson: string; validators: Validators } };
if (holder[validatorsKey]?.documentJson !== documentJson) {
  holder[validatorsKey] = { documentJson, validators: { bodies: newAjv(false), parameters: newAjv(true), compiled: new Map() } };
}
const { bodies, parameters, compiled } = holder[validatorsKey].validators;

function validatorAt(ajv: Ajv2020, pointer: string): ValidateFunction {
  const key = `${ajv === parameters ? 'p' : 'b'}${pointer}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile({ $ref: `${documentId}#${pointer}` });
    compiled.set(key, validate);
  }
  return validate;
}

const escapePointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

const operations: Operation[] = Object.entries(document.paths as Record<string, Json>).flatMap(([template, item]) =>
  Object.entries(item).map(([method, definition]) => ({
    template,
    method: method.toUpperCase(),
    pointer: `/paths/${escapePointer(template)}/${method}`,
    definition: definition as Json,
  })),
);

/** The operation a concrete path names, literal segments winning over parameters (`/customers/lookup`). */
function operationFor(method: string, path: string): { operation: Operation; pathParameters: Record<string, string> } | undefined {
  const segments = path.split('/');
  const matches = operations.flatMap((operation) => {
    if (operation.method !== method) return [];
    const templateSegments = operation.template.split('/');
    if (templateSegments.length !== segments.length) return [];
    const pathParameters: Record<string, string> = {};
    let literals = 0;
    for (const [index, templateSegment] of templateSegments.entries()) {
      const segment = segments[index] ?? '';
      const name = /^\{(\w+)\}$/.exec(templateSegment)?.[1];
      if (name) pathParameters[name] = decodedSegment(segment);
      else if (templateSegment === segment) literals += 1;
      else return [];
    }
    return [{ operation, pathParameters, literals }];
  });
  return matches.sort((a, b) => b.literals - a.literals)[0];
}

/** A path segment as the server reads it; one that is not valid percent-encoding stays as sent. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The document's path template for a concrete path, or undefined when no operation has it. */
export function operationTemplate(method: string, path: string): string | undefined {
  return operationFor(method.toUpperCase(), path.split('?')[0] ?? '')?.operation.template;
}

const ajvErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message}${paramsNote(error)}`);

function paramsNote(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return `: ${String(error.params.additionalProperty)}`;
  if (error.keyword === 'const' || error.keyword === 'enum') return `: ${JSON.stringify(error.params.allowedValue ?? error.params.allowedValues)}`;
  return '';
}

const mediaType = (contentType: string | undefined) => contentType?.split(';')[0]?.trim().toLowerCase();

function lowerCased(headers: Record<string, string | undefined> = {}): Record<string, string> {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) lower[name.toLowerCase()] = value;
  return lower;
}

function parsed(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

/** What is wrong with the answer, per the document (an empty list when it obeys). */
function responseViolations(operation: Operation, exchange: Exchange): string[] {
  const responses = operation.definition.responses as Record<string, Json>;
  const statusKey = String(exchange.status);
  const rangeKey = `${statusKey[0]}XX`;
  // `default` stands for the unexpected (a 500); every status a route means to answer is listed.
  const documentedKey = [statusKey, rangeKey, ...(exchange.status >= 500 ? ['default'] : [])].find((key) => key in responses);
  if (!documentedKey) return [`status ${exchange.status} is not documented`];
  const response = responses[documentedKey] as Json;
  const pointer = `${operation.pointer}/responses/${documentedKey}`;
  const headers = lowerCased(exchange.responseHeaders);
  const problems: string[] = [];

  for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
    const value = headers[name.toLowerCase()];
    if (value === undefined) {
      if (header.required) problems.push(`header ${name} is required`);
      continue;
    }
    const validate = validatorAt(parameters, `${pointer}/headers/${escapePointer(name)}/schema`);
    if (!validate(value)) problems.push(...ajvErrors(validate.errors).map((message) => `header ${name}: ${message}`));
  }

  const content = response.content as Record<string, Json> | undefined;
  const type = mediaType(headers['content-type']);
  if (!content) {
    if (exchange.responseBody !== '') problems.push(`a body, where the document describes none (${documentedKey})`);
    if (type !== undefined) problems.push(`content-type ${type} on an answer without content`);
    return problems;
  }
  if (type === undefined || !(type in content)) {
    return [...problems, `content-type ${type ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`];
  }
  const body = parsed(exchange.responseBody);
  if (!body.ok) return [...problems, 'the body is not JSON'];
  const validate = validatorAt(bodies, `${pointer}/content/${escapePointer(type)}/schema`);
  if (!validate(body.value)) problems.push(...ajvErrors(validate.errors));
  return problems;
}

/**
 * What is wrong with a request the server accepted. In a 207 the server takes each batch item on
 * its own: an item it answered with a problem was refused, so only the accepted items are held to
 * the document.
 */
function requestViolations(operation: Operation, exchange: Exchange, pathParameters: Record<string, string>): string[] {
  const problems: string[] = [];
  const declared = (operation.definition.parameters ?? []) as Json[];
  const given: Record<string, Record<string, string>> = {
    path: pathParameters,
    query: Object.fromEntries(Object.entries(exchange.query ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    header: lowerCased(exchange.requestHeaders),
  };
  for (const [index, parameter] of declared.entries()) {
    const location = parameter.in as string;
    const name = location === 'header' ? (parameter.name as string).toLowerCase() : (parameter.name as string);
    const value = given[location]?.[name];
    if (value === undefined) {
      if (parameter.required) problems.push(`${location} parameter ${name} is required`);
      continue;
    }
    const validate = validatorAt(parameters, `${operation.pointer}/parameters/${index}/schema`);
    if (!validate(value)) problems.push(...ajvErrors(validate.errors).map((message) => `${location} parameter ${name}: ${message}`));
  }
  for (const name of Object.keys(given.query ?? {})) {
    if (!declared.some((parameter) => parameter.in === 'query' && parameter.name === name)) problems.push(`query parameter ${name} is not documented`);
  }

  const requestBody = operation.definition.requestBody as Json | undefined;
  const raw = exchange.requestBody ?? '';
  if (!requestBody) {
    if (raw.trim() !== '') problems.push('a request body, where the document takes none');
    return problems;
  }
  if (raw === '') return requestBody.required ? [...problems, 'the request body is required'] : problems;
  const content = requestBody.content as Record<string, Json>;
  const type = mediaType(lowerCased(exchange.requestHeaders)['content-type']);
  if (type === undefined || !(type in content)) return [...problems, `request content-type ${type ?? '(none)'} is not documented`];
  const body = parsed(raw);
  if (!body.ok) return [...problems, 'the request body is not JSON'];
  const validate = validatorAt(bodies, `${operation.pointer}/requestBody/content/${escapePointer(type)}/schema`);
  if (validate(body.value)) return problems;
  const refused = refusedBatchItems(exchange);
  const errors = (validate.errors ?? []).filter((error) => !refused.some((prefix) => error.instancePath.startsWith(prefix)));
  return [...problems, ...ajvErrors(errors)];
}

function refusedBatchItems(exchange: Exchange): string[] {
  if (exchange.status !== 207) return [];
  const body = parsed(exchange.responseBody);
  const results = body.ok ? (body.value as { results?: Array<{ status?: number }> }).results : undefined;
  return (results ?? []).flatMap((result, index) => ((result.status ?? 0) >= 400 ? [`/items/${index}`] : []));
}

const pending: string[] = [];
let validatedResponses = 0;

/**
 * What breaks the document in one exchange (empty when it obeys); undefined when no operation has
 * the path, which the catch-all 404 answers (checked by its own tests).
 */
export function exchangeViolations(exchange: Exchange): { template: string; problems: string[] } | undefined {
  const path = exchange.path.split('?')[0] ?? '';
  const matched = operationFor(exchange.method.toUpperCase(), path);
  if (!matched) return undefined;
  const problems = responseViolations(matched.operation, exchange);
  if (exchange.status >= 200 && exchange.status < 300) {
    problems.push(...requestViolations(matched.operation, exchange, matched.pathParameters).map((problem) => `request: ${problem}`));
  }
  return { template: matched.operation.template, problems };
}

/** Holds one exchange to the document; a violation is recorded against the running test. */
export function checkExchange(exchange: Exchange): void {
  const checked = exchangeViolations(exchange);
  if (!checked) return;
  validatedResponses += 1;
  const { problems } = checked;
  if (problems.length > 0) {
    pending.push(
      `${exchange.method} ${exchange.path} answered ${exchange.status}, which breaks the OpenAPI document (${checked.template}):\n  ` +
        `${problems.join('\n  ')}\n  body: ${exchange.responseBody.slice(0, 2000)}`,
    );
  }
}

function settle(): void {
  if (pending.length === 0) return;
  const found = pending.splice(0);
  throw new Error(`${found.length} exchange(s) broke the OpenAPI document:\n${found.join('\n')}`);
}

/** The number of answers validated since the last call: vitest carries it to the reporter in task meta. */
function takeValidatedCount(): number {
  const count = validatedResponses;
  validatedResponses = 0;
  return count;
}

declare module 'vitest' {
  interface TaskMeta {
    validatedResponses?: number;
  }
}

// Registered once per test file, by whichever helper the file imports first.
afterEach((context: TestContext) => {
  context.task.meta.validatedResponses = takeValidatedCount();
  settle();
});
// biome-ignore lint/correctness/noEmptyPattern: vitest reads the first argument's pattern as the fixtures the hook needs (none)
afterAll(({}, suite) => {
  suite.meta.validatedResponses = takeValidatedCount();
  settle();
});
