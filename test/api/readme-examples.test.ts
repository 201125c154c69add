import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../shared/db/dynamodb-local.ts';
import { clientTypeErrors, type TypedExchange } from '../helpers/client-typecheck.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { contractFetch } from '../helpers/json-client.ts';

/**
 * The README's examples, run top to bottom as one script against a real `npm start`, with the ids
 * each answer shows carried into the commands after it. The format a reader sees is the format
 * this reads: ```sh blocks of curl commands, each followed by `# -> STATUS {answer}` (continued on
 * lines starting `#` and four spaces). In an answer `…` leaves out fields (in an object: `{…}` is
 * any object), further elements (at the end of an array) or characters (in a string); without it
 * the answer must have exactly what is shown. `"$NAME"` binds the value to NAME the first time and
 * must equal it afterwards; commands use it as $NAME.
 */

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(resolve(projectRoot, 'README.md'), 'utf8');
const startScript = (JSON.parse(readFileSync(resolve(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;

interface Example {
  /** The command as the README prints it, for failure messages. */
  source: string;
  words: string[];
  expectedStatus: number;
  /** Absent when the README shows a status only (a 204, say). */
  expectedBody?: unknown;
}

type Step = { kind: 'assign'; name: string; words: string[] } | { kind: 'request'; example: Example };

/** An object holding this key may have fields the README leaves out; an array ending in it, elements. */
const ellipsis = '…';

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string);
}

/**
 * Splits shell text into words the way sh does for what the README uses: single quotes literal,
 * double quotes and bare words expanding $NAME and ${NAME}, backslash-newline joining lines.
 * Variables stay as markers here and are expanded when the step runs, once earlier answers are in.
 */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (char === '\\' && text[index + 1] === '\n') {
      index += 2;
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      index += 1;
    } else if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end < 0) throw new Error(`Unclosed single quote in: ${text}`);
      word = (word ?? '') + escapeVariables(text.slice(index + 1, end));
      index = end + 1;
    } else if (char === '"') {
      const end = text.indexOf('"', index + 1);
      if (end < 0) throw new Error(`Unclosed double quote in: ${text}`);
      word = (word ?? '') + text.slice(index + 1, end);
      index = end + 1;
    } else {
      word = (word ?? '') + char;
      index += 1;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Single-quoted text is literal: a `$` in it must survive expansion. */
function escapeVariables(literal: string): string {
  return literal.replaceAll('$', '\u0000');
}

function expand(word: string, variables: ReadonlyMap<string, string>): string {
  return word
    .replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, name: string) => {
      const value = variables.get(name);
      if (value === undefined) throw new Error(`$${name} is used before any command or answer sets it`);
      return value;
    })
    .replaceAll('\u0000', '$');
}

/** Turns an answer as the README shows it into JSON: a bare `…` becomes a marker key or element. */
function answerJson(shown: string): unknown {
  let json = '';
  const open: string[] = [];
  let inString = false;
  for (let index = 0; index < shown.length; index += 1) {
    const char = shown[index] as string;
    if (inString) {
      json += char;
      if (char === '\\') json += shown[++index] ?? '';
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      json += char;
    } else if (char === '{' || char === '[') {
      open.push(char);
      json += char;
    } else if (char === '}' || char === ']') {
      open.pop();
      json += char;
    } else if (char === ellipsis) {
      json += open.at(-1) === '{' ? `"${ellipsis}":true` : `"${ellipsis}"`;
    } else {
      json += char;
    }
  }
  return JSON.parse(json);
}

function parseSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const block of shellBlocks(markdown)) {
    if (!/^curl /m.test(block)) continue;
    const lines = block.split('\n');
    let index = 0;
    while (index < lines.length) {
      const line = lines[index] as string;
      if (line.trim() === '') {
        index += 1;
      } else if (/^[A-Z_][A-Z0-9_]*=/.test(line)) {
        const [name, ...value] = line.split('=');
        steps.push({ kind: 'assign', name: name as string, words: shellWords(value.join('=')) });
        index += 1;
      } else if (line.startsWith('curl ')) {
        // A command runs on while a quote is open or a line ends in a backslash.
        let command = line;
        while ((command.split("'").length % 2 === 0 || command.endsWith('\\')) && index + 1 < lines.length) {
          index += 1;
          command += `\n${lines[index]}`;
        }
        index += 1;
        const answer = /^# -> (\d{3})(?: (.*))?$/.exec(lines[index] ?? '');
        if (!answer) throw new Error(`This example shows no answer ("# -> STATUS ..." on the next line):\n${command}`);
        let shown = answer[2] ?? '';
        index += 1;
        while (/^# {4}/.test(lines[index] ?? '')) {
          shown += (lines[index] as string).slice(1).trim();
          index += 1;
        }
        steps.push({
          kind: 'request',
          example: {
            source: command,
            words: shellWords(command),
            expectedStatus: Number(answer[1]),
            ...(shown === '' ? {} : { expectedBody: answerJson(shown) }),
          },
        });
      } else if (line.startsWith('#')) {
        index += 1;
      } else {
        throw new Error(`An example block holds a line that is neither a curl command, an assignment nor a comment: ${line}`);
      }
    }
  }
  return steps;
}

interface Request {
  method: string;
  url: string;
  headers: Headers;
  body?: string;
}

function curlRequest(words: readonly string[]): Request {
  const [program, ...args] = words;
  expect(program).toBe('curl');
  const headers = new Headers();
  let method: string | undefined;
  let url: string | undefined;
  let body: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '-s' || arg === '-sS') continue;
    const value = args[index + 1];
    if ((arg === '-H' || arg === '-X' || arg === '-d') && value === undefined) throw new Error(`${arg} without a value`);
    if (arg === '-H') {
      const colon = (value as string).indexOf(':');
      headers.append((value as string).slice(0, colon).trim(), (value as string).slice(colon + 1).trim());
      index += 1;
    } else if (arg === '-X') {
      method = value;
      index += 1;
    } else if (arg === '-d') {
      body = value;
      index += 1;
    } else if (arg.startsWith('-')) {
      throw new Error(`The examples' reader knows no curl option ${arg}: teach it or use -s, -H, -X, -d`);
    } else {
      url = arg;
    }
  }
  if (url === undefined) throw new Error(`No URL in: curl ${args.join(' ')}`);
  // As curl does: -d means POST (with a form content type unless one is given) unless -X says otherwise.
  if (body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
  return { method: method ?? (body === undefined ? 'GET' : 'POST'), url, headers, ...(body === undefined ? {} : { body }) };
}

/** The answer shown must be the answer given: same fields, unless `…` says some are left out. */
function assertShown(shown: unknown, actual: unknown, path: string, bindings: Map<string, string>) {
  if (typeof shown === 'string') {
    const binding = /^\$([A-Z_][A-Z0-9_]*)$/.exec(shown);
    if (binding) {
      const name = binding[1] as string;
      expect(typeof actual, `${path} is a string to bind to $${name}`).toBe('string');
      const bound = bindings.get(name);
      if (bound === undefined) bindings.set(name, actual as string);
      else expect(actual, `${path} equals $${name} shown before`).toBe(bound);
    } else if (shown.includes(ellipsis)) {
      expect(typeof actual, `${path} is a string`).toBe('string');
      const pattern = new RegExp(`^${shown.split(ellipsis).map(escapeRegExp).join('.*')}$`, 's');
      expect(actual, path).toMatch(pattern);
    } else {
      expect(actual, path).toBe(shown);
    }
  } else if (Array.isArray(shown)) {
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    const open = shown.at(-1) === ellipsis;
    const elements = open ? shown.slice(0, -1) : shown;
    if (open) expect((actual as unknown[]).length, `${path} has at least the elements shown`).toBeGreaterThanOrEqual(elements.length);
    else expect((actual as unknown[]).length, `${path} has exactly the elements shown`).toBe(elements.length);
    for (const [index, element] of elements.entries()) assertShown(element, (actual as unknown[])[index], `${path}[${index}]`, bindings);
  } else if (shown !== null && typeof shown === 'object') {
    expect(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path} is an object`).toBe(true);
    const fields = Object.entries(shown).filter(([key]) => key !== ellipsis);
    if (!(ellipsis in shown)) expect(Object.keys(actual as object).sort(), `${path} has exactly the fields shown`).toEqual(fields.map(([key]) => key).sort());
    for (const [key, value] of fields) {
      expect(actual, `${path} has ${key}`).toHaveProperty([key]);
      assertShown(value, (actual as Record<string, unknown>)[key], `${path}.${key}`, bindings);
    }
  } else {
    expect(actual, path).toBe(shown);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function waitForListening(server: ChildProcess): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    let output = '';
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /listening on (http:\/\/\S+?)\/v1/.exec(output);
      if (listening) resolveUrl(listening[1] as string);
    };
    server.stdout?.on('data', onOutput);
    server.stderr?.on('data', onOutput);
    server.once('exit', (code, signal) => reject(new Error(`npm start exited (${code ?? signal}) before listening:\n${output}`)));
  });
}

const bootstrapKey = /TOUCHPOINT_BOOTSTRAP_KEY=(\S+) npm start/.exec(readme)?.[1];
let server: ChildProcess | undefined;
let apiUrl: string;

beforeAll(async () => {
  if (bootstrapKey === undefined) throw new Error('The README no longer starts the API with a bootstrap key');
  const [command, ...args] = startScript.split(/\s+/);
  expect(command).toBe('node');
  // On this file's table in the worker's DynamoDB Local (npm start's DYNAMODB_ENDPOINT mode): a JVM
  // of its own cost about 10 s of CPU to start and warm, for a few dozen requests. npm-start.test.ts
  // covers npm start with its own DynamoDB Local.
  await createTestTable();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(await findFreePort()), TOUCHPOINT_BOOTSTRAP_KEY: bootstrapKey };
  for (const name of ['DYNAMODB_PORT', 'TOUCHPOINT_DATA_DIR']) delete env[name];
  // Its own process group, which afterAll stops.
  server = spawn(process.execPath, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  apiUrl = await waitForListening(server);
}, 90_000);

afterAll(async () => {
  if (server?.pid === undefined || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolveExit) => server?.once('exit', resolveExit));
  process.kill(-server.pid, 'SIGINT');
  await exited;
});

/** Run in this order as one script: the API guide continues where the README stops. */
const documents = ['README.md', 'docs/api-guide.md'];

/** Every exchange the examples made, for the client's compiler. */
const exchanges: TypedExchange[] = [];

async function run(steps: readonly Step[], variables: Map<string, string>) {
  for (const step of steps) {
    if (step.kind === 'assign') {
      const value = step.words.map((word) => expand(word, variables)).join(' ');
      // The README shows the default port; the test's server listens on a free one.
      variables.set(step.name, step.name === 'API' ? value.replace('http://localhost:3000', apiUrl) : value);
      continue;
    }
    const { example } = step;
    const request = curlRequest(example.words.map((word) => expand(word, variables)));
    const response = await contractFetch(request.url, {
      method: request.method,
      headers: Object.fromEntries(request.headers),
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const text = await response.text();
    exchanges.push({
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
      ...(request.body === undefined ? {} : { requestBody: request.body }),
      ...(text === '' ? {} : { responseBody: text }),
    });
    const context = `${example.source}\nanswered ${response.status} ${text}`;
    expect(response.status, context).toBe(example.expectedStatus);
    if (example.expectedBody === undefined) {
      expect(text, context).toBe('');
      continue;
    }
    const answers = new Map(variables);
    assertShown(example.expectedBody, JSON.parse(text), context, answers);
    for (const [name, value] of answers) variables.set(name, value);
  }
}

describe('the examples of the README and the API guide', () => {
  const stepsOf = new Map(documents.map((document) => [document, parseSteps(readFileSync(resolve(projectRoot, document), 'utf8'))]));
  const variables = new Map<string, string>();

  it('are read from the documents: a first call, a replay and a lookup in the README at least', () => {
    const requests = (stepsOf.get('README.md') ?? []).flatMap((step) => (step.kind === 'request' ? [step.example] : []));
    expect(requests.length).toBeGreaterThanOrEqual(4);
    expect(requests.some((example) => example.source.includes('/customers/lookup'))).toBe(true);
    expect(requests.some((example) => example.expectedBody !== undefined && JSON.stringify(example.expectedBody).includes('"replayed":true'))).toBe(true);
  });

  it.each(documents)(
    '%s runs top to bottom against npm start and answers what it shows',
    async (document) => {
      await run(stepsOf.get(document) ?? [], variables);
      expect(variables.get('CUSTOMER')).toMatch(/^cus_/);
    },
    120_000,
  );

  // Run after the documents: it reads what they sent and were answered.
  it("compile against the published client's generated types, requests and answers alike", () => {
    expect(exchanges.length).toBeGreaterThanOrEqual(20);
    expect(exchanges.filter((exchange) => exchange.requestBody !== undefined).length).toBeGreaterThanOrEqual(8);

    expect(clientTypeErrors(exchanges)).toEqual([]);
  });

  it('would see a field the types do not name, or a missing required one, as the compiler does', () => {
    const touchpoint = { method: 'POST', path: '/v1/touchpoints', status: 201 };
    const errors = clientTypeErrors([
      {
        ...touchpoint,
        requestBody: '{"channel":"call","identifiers":{"phone":"+442079460018"},"details":{"direction":"inbound","durationSeconds":5},"colour":"red"}',
      },
      { ...touchpoint, requestBody: '{"identifiers":{"phone":"+442079460018"},"details":{}}' },
    ]);

    expect(errors).toEqual([
      expect.stringMatching(/^exchange 0: POST \/v1\/touchpoints -> 201: error TS\d+:.*colour/),
      expect.stringMatching(/^exchange 1: .*error TS\d+/),
    ]);
  });
});

describe("the README's links", () => {
  // A guide another branch is still writing is linked as "(coming)"; every other link must resolve.
  const links = [...readme.matchAll(/\[[^\]]+\]\(([^)#]+)(?:#[^)]*)?\)( \(coming\))?/g)].filter(([, target]) => !/^https?:/.test(target as string));

  const distinct = [...new Map(links.map(([, target, coming]) => [target as string, coming !== undefined] as const)).entries()];

  it.each(distinct)('%s exists unless marked coming', (target, coming) => {
    expect(existsSync(resolve(projectRoot, target)), `${target} is linked${coming ? ' as (coming)' : ''}`).toBe(!coming);
  });
});
