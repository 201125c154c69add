import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { operationTemplate } from './contract.ts';

/**
 * What a client developer's compiler says about real exchanges: each request body and JSON answer
 * becomes an object literal that must `satisfy` the type the published client generates for it
 * (openapi-typescript with default settings, clients/typescript/src/schema.ts), compiled by the
 * client package's own TypeScript. `satisfies` checks excess fields too, so a field the types do
 * not name fails as it would in the developer's code.
 */

export interface TypedExchange {
  method: string;
  /** The concrete path as sent, without the query string. */
  path: string;
  status: number;
  /** Held to the request type only when the API accepted it (2xx). */
  requestBody?: string;
  /** The answer's JSON, if it has one. */
  responseBody?: string;
}

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const clientRoot = join(projectRoot, 'clients/typescript');
const compiler = join(clientRoot, 'node_modules/typescript/bin/tsc');

const helperTypes = `
type Operation<P extends keyof paths, M extends string> = M extends keyof paths[P] ? paths[P][M] : never;
type JsonOf<C> = C extends { content: infer Content } ? Content[keyof Content] : never;
type RequestBody<P extends keyof paths, M extends string> = Operation<P, M> extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;
type Answer<P extends keyof paths, M extends string, S extends number> = Operation<P, M> extends { responses: infer R }
  ? S extends keyof R ? JsonOf<R[S]> : never
  : never;
`;

/** The compiler's complaints (empty when every literal type-checks), each naming the exchange it came from. */
export function clientTypeErrors(exchanges: readonly TypedExchange[], extraSource = ''): string[] {
  const lines = exchanges.flatMap((exchange, index) => {
    const template = operationTemplate(exchange.method, exchange.path);
    if (!template) return [];
    const operation = `${JSON.stringify(template)}, ${JSON.stringify(exchange.method.toLowerCase())}`;
    const label = `// exchange ${index}: ${exchange.method} ${exchange.path} -> ${exchange.status}`;
    return [
      label,
      // A request the API refused may be wrong on purpose (the README shows a 422): only accepted ones must compile.
      ...(exchange.requestBody && exchange.status < 300
        ? [`export const request${index} = (${exchange.requestBody}) satisfies RequestBody<${operation}>;`]
        : []),
      ...(exchange.responseBody ? [`export const answer${index} = (${exchange.responseBody}) satisfies Answer<${operation}, ${exchange.status}>;`] : []),
    ];
  });
  const folder = mkdtempSync(join(tmpdir(), 'client-typecheck-'));
  try {
    const source = [`import type { paths } from ${JSON.stringify(join(clientRoot, 'src/schema.ts'))};`, helperTypes, ...lines, extraSource].join('\n');
    writeFileSync(join(folder, 'exchanges.ts'), source);
    writeFileSync(
      join(folder, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, skipLibCheck: true, types: [] },
        files: ['exchanges.ts'],
      }),
    );
    const result = spawnSync(process.execPath, [compiler, '-p', join(folder, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8' });
    if (result.status === 0) return [];
    const sourceLines = source.split('\n');
    // Each complaint with the exchange it belongs to (the label line above the literal).
    const output = result.stdout || result.stderr;
    const located = output.split('\n').filter((message) => /exchanges\.ts\(\d+,/.test(message));
    // A failure that names no line of ours (a broken setup) is reported whole.
    if (located.length === 0) return [output];
    return located.map((message) => {
      const at = /exchanges\.ts\((\d+),/.exec(message) as RegExpExecArray;
      const lineIndex = Number(at[1]) - 1;
      const label = sourceLines.slice(0, lineIndex + 1).findLast((line) => line.startsWith('// exchange')) ?? '';
      return `${label.slice(3)}: ${message.slice(message.indexOf('error'))}`;
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
