import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../shared/db/client.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';

/**
 * Issue 10, class 1: an erase answered 500 on every shared identifier because one UpdateExpression
 * named the reserved word `shared` bare, on a path no test ran. DynamoDB rejects a reserved word
 * only when the expression is sent, so this reads every expression written in shared/db (string
 * and template literals) and asks DynamoDB Local itself, the authority on its reserved words,
 * about each attribute name used bare: no path, tested or not, can name one.
 */

const dbDirectory = join(import.meta.dirname, '../../shared/db');
/** Written for this issue: every attribute through ExpressionAttributeNames, none bare at all. */
const strictFiles = ['privacy-store.ts', 'suppression.ts', 'cross-references.ts'];

const functions = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains', 'size', 'if_not_exists', 'list_append']);
const syntax = new Set(['SET', 'REMOVE', 'ADD', 'DELETE', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN']);
const expressionMarker = /(^|[\s(,])[:#][A-Za-z]\w*|\b(attribute_(not_)?exists|begins_with|if_not_exists|list_append|size|contains)\(|^\s*(SET|REMOVE|ADD)\s/;

/** The text of every string and template literal of a TypeScript source (template chunks split at `${`). */
function literals(source: string): string[] {
  const found: string[] = [];
  let index = 0;
  const templateDepth: number[] = [];
  let braces = 0;
  while (index < source.length) {
    const char = source[index] as string;
    const next = source[index + 1];
    if (char === '/' && next === '/') {
      index = source.indexOf('\n', index);
      if (index < 0) break;
      continue;
    }
    if (char === '/' && next === '*') {
      index = source.indexOf('*/', index + 2) + 2;
      continue;
    }
    if (char === '{') braces += 1;
    if (char === '}') {
      if (templateDepth.length > 0 && templateDepth.at(-1) === braces) {
        templateDepth.pop();
        index = readTemplate(index + 1);
        continue;
      }
      braces -= 1;
    }
    if (char === "'" || char === '"') {
      let end = index + 1;
      let text = '';
      while (end < source.length && source[end] !== char) {
        if (source[end] === '\\') end += 1;
        text += source[end];
        end += 1;
      }
      found.push(text);
      index = end + 1;
      continue;
    }
    if (char === '`') {
      index = readTemplate(index + 1);
      continue;
    }
    index += 1;
  }
  return found;

  /** Reads template text up to its end or the next `${`; answers where to go on. */
  function readTemplate(start: number): number {
    let end = start;
    let text = '';
    while (end < source.length && source[end] !== '`') {
      if (source[end] === '\\') {
        text += source[end + 1];
        end += 2;
        continue;
      }
      if (source[end] === '$' && source[end + 1] === '{') {
        found.push(text);
        templateDepth.push(braces);
        return end + 2;
      }
      text += source[end];
      end += 1;
    }
    found.push(text);
    return end + 1;
  }
}

/** Attribute names used bare (not `#name`) in the literals that look like DynamoDB expressions. */
function bareNames(source: string): string[] {
  const names = new Set<string>();
  for (const text of literals(source)) {
    if (!expressionMarker.test(text)) continue;
    const stripped = text.replace(/[:#][A-Za-z_]\w*/g, ' ');
    for (const token of stripped.match(/[A-Za-z_]\w*/g) ?? []) {
      if (functions.has(token) || syntax.has(token)) continue;
      names.add(token);
    }
  }
  return [...names];
}

const sources = readdirSync(dbDirectory, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => ({ file, text: readFileSync(join(dbDirectory, file), 'utf8') }));

beforeAll(async () => {
  await createTestTable();
});

describe('expressions in shared/db', () => {
  it('finds the bare names of an expression, and none in keys, messages or placeholders', () => {
    const sample = [
      "const a = 'SET customerId = :next, sharedWith = :rest, shared = :shared';",
      "const b = `SET #shared = :true${owned ? ' REMOVE touchpointId' : ''}`;",
      "// 'SET commented = :out'",
      "const c = 'Z#PROFILE'; const d = 'The store is busy; retry.';",
    ].join('\n');

    expect(bareNames(sample).sort()).toEqual(['customerId', 'shared', 'sharedWith', 'touchpointId']);
  });

  it('name no DynamoDB reserved word bare, on any code path', async () => {
    const client = createDynamoDbClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    const reserved: string[] = [];
    const checked = new Map<string, boolean>();
    for (const { file, text } of sources) {
      for (const name of bareNames(text)) {
        if (!checked.has(name)) {
          const rejected = await client
            .send(new GetItemCommand({ TableName: testTableName(), Key: { pk: { S: 'x' }, sk: { S: 'x' } }, ProjectionExpression: name }))
            .then(
              () => false,
              (error: Error) => /reserved keyword/i.test(error.message),
            );
          checked.set(name, rejected);
        }
        if (checked.get(name)) reserved.push(`${file}: ${name}`);
      }
    }
    client.destroy();

    // Updates name every attribute through the builder (update-expression.ts); conditions and key
    // conditions still name theirs bare, and there are well over ten of those to ask about.
    expect(checked.size).toBeGreaterThan(10);
    expect(reserved).toEqual([]);
  });

  it('name every attribute through ExpressionAttributeNames in the erase and suppression stores', () => {
    const bare = sources.filter(({ file }) => strictFiles.includes(file)).flatMap(({ file, text }) => bareNames(text).map((name) => `${file}: ${name}`));

    expect(bare).toEqual([]);
  });
});
