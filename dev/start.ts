/**
 * `npm start`: DynamoDB Local (in memory unless --data-dir DIR or TOUCHPOINT_DATA_DIR is given),
 * the table created if missing, and the API on http://localhost:${PORT:-3000} through the same
 * handlers and route table as the Lambdas. Ctrl-C stops both.
 *
 * With DYNAMODB_ENDPOINT already set, that DynamoDB is used and left running on exit: the fault
 * harness kills and restarts the API alone while DynamoDB Local keeps its data.
 *
 * Each request is logged as one line (method, route, status, duration, function, request id), and
 * the stack is written to a small state file (local-stack.ts) that `npm run keys` reads.
 *
 * With --oidc (or TOUCHPOINT_LOCAL_OIDC=1), a local OpenID Provider (local-issuer.ts) on
 * ${TOUCHPOINT_ISSUER_PORT:-PORT+1}: the console offers "Sign in with localhost:…" and the API accepts
 * its tokens, as a deployment with jwtIssuer and consoleClientId does with a real issuer.
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { registerBootstrapKey } from '../shared/auth/bootstrap-key.ts';
import { dynamoApiKeyStore } from '../shared/db/api-key-store.ts';
import { createDocumentClient, createDynamoDbClient } from '../shared/db/client.ts';
import { ensureTable } from '../shared/db/create-table.ts';
import { startDynamoDbLocal } from '../shared/db/dynamodb-local.ts';
import type { LocalIssuer } from './local-issuer.ts';
import { formatRequestLine, type LocalApi, startLocalApi } from './local-server.ts';
import { removeLocalStack, writeLocalStack } from './local-stack.ts';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, oidc: { type: 'boolean' } } });
const dataDir = values['data-dir'] ?? process.env.TOUCHPOINT_DATA_DIR;
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const tableName = process.env.TABLE_NAME ?? 'touchpoints';

function portTaken(port: number, host: string): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolveProbe(error.code === 'EADDRINUSE'));
    probe.listen(port, host, () => probe.close(() => resolveProbe(false)));
  });
}

/** One line, and nothing left running (the caller stops DynamoDB Local first if it started it). */
function refuseBusyPort(): never {
  console.error(`Port ${port} is already in use: stop what listens there, or start on another with PORT=<port> npm start.`);
  process.exit(1);
}

// Said before DynamoDB Local's slow start; the catch around the API's start covers a port taken meanwhile.
if (await portTaken(port, host)) refuseBusyPort();

const withIssuer = values.oidc === true || process.env.TOUCHPOINT_LOCAL_OIDC === '1';
if (withIssuer && process.env.JWT_ISSUER) {
  console.error(`JWT_ISSUER is set (${process.env.JWT_ISSUER}): use that issuer, or --oidc for the local one, not both.`);
  process.exit(1);
}
const issuer: LocalIssuer | undefined = withIssuer ? await startIssuer() : undefined;

/** The local issuer, and the environment that points the authorizer and the console at it. */
async function startIssuer(): Promise<LocalIssuer> {
  const clientId = 'touchpoint-console';
  const audience = process.env.JWT_AUDIENCE ?? 'touchpoint-api';
  // Loaded only when asked for: oidc-provider warns on every start under Node 20 (it supports 22 and later).
  const { startLocalIssuer } = await import('./local-issuer.ts');
  const started = await startLocalIssuer({
    port: Number(process.env.TOUCHPOINT_ISSUER_PORT ?? port + 1),
    clientId,
    audience,
    redirectUris: [`http://localhost:${port}/console/`, `http://127.0.0.1:${port}/console/`],
  });
  Object.assign(process.env, { JWT_ISSUER: started.issuer, JWT_AUDIENCE: audience, JWT_JWKS_URL: started.jwksUrl, TOUCHPOINT_CONSOLE_CLIENT_ID: clientId });
  return started;
}

const externalEndpoint = process.env.DYNAMODB_ENDPOINT;
const dynamoDb = externalEndpoint
  ? { endpoint: externalEndpoint, stop: async () => {} }
  : await startDynamoDbLocal({
      ...(dataDir ? { dataDir } : {}),
      ...(process.env.DYNAMODB_PORT ? { port: Number(process.env.DYNAMODB_PORT) } : {}),
    });
// Handlers read their configuration from the environment, exactly as in Lambda.
Object.assign(process.env, {
  DYNAMODB_ENDPOINT: dynamoDb.endpoint,
  TABLE_NAME: tableName,
  AWS_REGION: process.env.AWS_REGION ?? 'local',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
});
await ensureTable(createDynamoDbClient({ endpoint: dynamoDb.endpoint, region: 'local' }), tableName);
const bootstrapKey = process.env.TOUCHPOINT_BOOTSTRAP_KEY;
const bootstrap = bootstrapKey
  ? await registerBootstrapKey(dynamoApiKeyStore(createDocumentClient({ endpoint: dynamoDb.endpoint, region: 'local' }), tableName), bootstrapKey)
  : undefined;
let api: LocalApi;
try {
  api = await startLocalApi({ port, host, onRequest: (entry) => console.log(formatRequestLine(entry)) });
} catch (error) {
  await dynamoDb.stop();
  await issuer?.close();
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  refuseBusyPort();
}
writeLocalStack({ apiUrl: api.url, dynamoDbEndpoint: dynamoDb.endpoint, tableName, pid: process.pid });
const storage = externalEndpoint ? 'already running' : dataDir ? `data in ${dataDir}` : 'in memory';
console.log(`Touchpoint API listening on ${api.url}/v1 (DynamoDB Local at ${dynamoDb.endpoint}, ${storage})`);
console.log('API keys: npm run keys -- list (it finds this stack by itself)');
if (bootstrap?.kind === 'revoked') console.log(`TOUCHPOINT_BOOTSTRAP_KEY (${bootstrap.keyId}) is revoked: it stays refused.`);
else if (bootstrap) console.log(`TOUCHPOINT_BOOTSTRAP_KEY ${bootstrap.kind} as ${bootstrap.keyId} with every scope.`);
else console.log('Every route but /v1/health needs a key: set TOUCHPOINT_BOOTSTRAP_KEY=<16+ characters>, or create one with the keys CLI.');
if (issuer) console.log(`Local OpenID issuer at ${issuer.issuer}: open ${api.url}/console/ and "Sign in with ${new URL(issuer.issuer).host}" under any name.`);
console.log('Press Ctrl-C to stop.');

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping the API${externalEndpoint ? '' : ' and DynamoDB Local'}...`);
  removeLocalStack(process.pid);
  await api.close();
  await issuer?.close();
  await dynamoDb.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
