/**
 * API keys from the command line:
 *
 *   npm run keys -- create --name billing --scopes touchpoints:write:invoice_query[,customers:read]
 *   npm run keys -- create --name billing --scopes ... --replaces key_0123456789abcdef0123   (rotation)
 *   npm run keys -- create --name shop-web --kind public --origins https://www.shop.example[,https://shop.example]
 *   npm run keys -- list
 *   npm run keys -- revoke key_0123456789abcdef0123
 *
 * With `npm start` running it talks to that stack (its DynamoDB Local and table, from the state
 * file npm start writes: nothing to copy). DYNAMODB_ENDPOINT (and TABLE_NAME, default
 * `touchpoints`) name another DynamoDB; `--aws`, or no local stack running, uses AWS with the
 * usual credentials and region, e.g. TABLE_NAME=<deployed table> AWS_PROFILE=admin npm run keys -- list --aws.
 * A created key is printed once and stored only as its SHA-256.
 */
import { parseArgs } from 'node:util';
import { generateApiKey } from '../shared/auth/api-keys.ts';
import { defaultAuthorizerCacheSeconds } from '../shared/auth/authorizer-cache.ts';
import { scopes as knownScopes } from '../shared/auth/scopes.ts';
import { type ApiKeyRecord, dynamoApiKeyStore } from '../shared/db/api-key-store.ts';
import { type ClientOptions, createDocumentClient } from '../shared/db/client.ts';
import { readLocalStack } from './local-stack.ts';
import { apiKeyNameSchema, createApiKeySchema, keyIdSchema, publicKeyScopes, scopeSchema } from '../shared/schemas/api-key.ts';

const usage = `Usage:
  npm run keys -- create --name <system> --scopes <scope>[,<scope>...] [--replaces <keyId of the same name>]
  npm run keys -- create --name <site> --kind public --origins <https://origin>[,<origin>...]   (the website snippet's key)
  npm run keys -- list
  npm run keys -- revoke <keyId>

Scopes: ${knownScopes.join(', ')}
Where: the stack npm start runs; else DYNAMODB_ENDPOINT and TABLE_NAME (default touchpoints); else, or with --aws, AWS`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      kind: { type: 'string' },
      origins: { type: 'string' },
      replaces: { type: 'string' },
      'created-by': { type: 'string' },
      aws: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 1;
  }
  const { clientOptions, tableName } = target(values.aws ?? false);
  const store = dynamoApiKeyStore(createDocumentClient(clientOptions), tableName);

  if (command === 'create') {
    const name = apiKeyNameSchema.safeParse(values.name);
    if (!name.success) throw new UsageError('--name must be 1-64 letters, digits, _ . - (it becomes the source of what the key posts)');
    const kind = values.kind ?? 'secret';
    if (kind !== 'secret' && kind !== 'public') throw new UsageError('--kind is secret (the default) or public');
    const requested = (values.scopes ?? (kind === 'public' ? publicKeyScopes.join(',') : '')).split(/[\s,]+/).filter(Boolean);
    if (requested.length === 0) throw new UsageError('--scopes names at least one scope');
    const unknown = requested.filter((scope) => !scopeSchema.safeParse(scope).success);
    if (unknown.length > 0) throw new UsageError(`Unknown scope(s): ${unknown.join(', ')}`);
    const replaces = values.replaces === undefined ? undefined : keyIdSchema.safeParse(values.replaces);
    if (replaces && !replaces.success) throw new UsageError('--replaces takes the key id of a key of the same name (see list)');
    const origins = values.origins?.split(/[\s,]+/).filter(Boolean);
    // The API's own rules for kinds, scopes and origins, so the CLI cannot make a key the API would refuse.
    const checked = createApiKeySchema.safeParse({ name: name.data, scopes: requested, kind, ...(origins ? { allowedOrigins: origins } : {}) });
    if (!checked.success) throw new UsageError(checked.error.issues.map((issue) => `${issue.path.join('.') || 'input'} ${issue.message}`).join('; '));
    const key = generateApiKey();
    const outcome = await store.create({
      kind: checked.data.kind,
      ...(checked.data.allowedOrigins ? { allowedOrigins: checked.data.allowedOrigins } : {}),
      key,
      name: name.data,
      scopes: [...new Set(requested)] as ApiKeyRecord['scopes'],
      createdBy: values['created-by'] ?? `keys CLI (${process.env.USER ?? 'unknown user'})`,
      ...(replaces ? { replaces: replaces.data } : {}),
    });
    if (outcome.kind === 'name-taken') {
      throw new UsageError(
        `The name ${name.data} is taken by ${outcome.keyId ?? 'another key'}: one name is one system. ` +
          "To rotate that system's key, add --replaces <its keyId>; otherwise choose another name.",
      );
    }
    if (outcome.kind === 'not-replaceable') throw new UsageError(`--replaces must name a key called ${name.data}`);
    if (outcome.kind !== 'created') throw new Error('A freshly generated key already exists; run the command again.');
    const { record } = outcome;
    console.log(`Created ${record.kind} key ${record.keyId} "${record.name}" with ${record.scopes.join(' ')}`);
    if (record.kind === 'public') console.log(`Accepted from ${record.allowedOrigins.join(' ')}; put it in the snippet's data-key.`);
    console.log('The key (shown this once; only its hash is stored):');
    console.log(key);
    return 0;
  }

  if (command === 'list') {
    let cursor: string | undefined;
    let count = 0;
    do {
      const page = await store.list({ limit: 100, ...(cursor ? { cursor } : {}) });
      for (const record of page.items) {
        count += 1;
        const state = record.revokedAt ? `revoked ${record.revokedAt}` : 'active';
        console.log(`${record.keyId}  ${record.prefix.padEnd(12)} ${record.name.padEnd(20)} ${state.padEnd(34)} ${record.scopes.join(' ')}`);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (count === 0) console.log(`No API keys in ${tableName}.`);
    return 0;
  }

  if (command === 'revoke') {
    const keyId = keyIdSchema.safeParse(rest[0]);
    if (!keyId.success) throw new UsageError('revoke takes a key id such as key_0123456789abcdef0123 (see list)');
    const record = await store.revoke(keyId.data, values['created-by'] ?? `keys CLI (${process.env.USER ?? 'unknown user'})`);
    if (!record) {
      console.error(`No API key ${keyId.data} in ${tableName}.`);
      return 2;
    }
    console.log(
      `Revoked ${record.keyId} "${record.name}" at ${record.revokedAt}; it is refused once the authorizer cache expires (${defaultAuthorizerCacheSeconds} s unless configured otherwise).`,
    );
    return 0;
  }

  throw new UsageError(`Unknown command ${command}`);
}

/** Which DynamoDB and table the CLI talks to; said on stderr so that the output stays the keys. */
function target(aws: boolean): { clientOptions: ClientOptions; tableName: string } {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (endpoint && !aws) {
    return { clientOptions: { endpoint, region: process.env.AWS_REGION ?? 'local' }, tableName: process.env.TABLE_NAME ?? 'touchpoints' };
  }
  const local = aws ? undefined : readLocalStack();
  if (local) {
    console.error(`Using the stack npm start runs (${local.apiUrl}): table ${local.tableName} at ${local.dynamoDbEndpoint}`);
    return { clientOptions: { endpoint: local.dynamoDbEndpoint, region: 'local' }, tableName: local.tableName };
  }
  if (!process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION && !process.env.AWS_PROFILE) {
    throw new UsageError('No local stack is running (npm start) and no AWS region is set: start the stack, or set AWS_PROFILE or AWS_REGION.');
  }
  return { clientOptions: {}, tableName: process.env.TABLE_NAME ?? 'touchpoints' };
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${usage}`);
    process.exitCode = 1;
  } else {
    console.error(`keys: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
