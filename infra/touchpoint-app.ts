import { type App, Tags } from 'aws-cdk-lib';
import { defaultSignInScope } from '../console/src/config.ts';
import { settingsFromContext } from './config/environment-settings.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { ConsoleStack } from './stacks/console-stack.ts';
import { DataStack } from './stacks/data-stack.ts';

export interface TouchpointStacks {
  data: DataStack;
  api: ApiStack;
  console: ConsoleStack;
}

/** Both stacks of one environment (context `env`), as the CLI and the infra tests build them. */
export function createTouchpointStacks(app: App): TouchpointStacks {
  const settings = settingsFromContext(app.node);
  // Env-agnostic unless the CLI has credentials; nothing here needs lookups.
  const env =
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined;
  const prefix = `touchpoint-${settings.envName}`;

  const data = new DataStack(app, `${prefix}-data`, {
    settings,
    env,
    description: `Touchpoint API (${settings.envName}): DynamoDB table (stateful)`,
    terminationProtection: settings.envName === 'prod',
  });
  const api = new ApiStack(app, `${prefix}-api`, {
    settings,
    env,
    table: data.table,
    suppressionSecret: data.suppressionSecret,
    description: `Touchpoint API (${settings.envName}): HTTP API, functions, events and alarms`,
  });
  // The console signs staff in with the API's OIDC issuer when it has a client of its own there.
  const consoleClientId: unknown = app.node.tryGetContext('consoleClientId');
  const consoleScopes: unknown = app.node.tryGetContext('consoleScopes');
  // A console client without an issuer would deploy a console that silently takes API keys only.
  if (consoleClientId && !settings.jwt)
    throw new Error("Context consoleClientId needs jwtIssuer and jwtAudience: the console signs in with the API's own issuer");
  const console = new ConsoleStack(app, `${prefix}-console`, {
    settings,
    env,
    api: api.httpApi.api,
    ...(typeof consoleClientId === 'string' && consoleClientId
      ? { signIn: { clientId: consoleClientId, scope: typeof consoleScopes === 'string' && consoleScopes ? consoleScopes : defaultSignInScope } }
      : {}),
    description: `Touchpoint API (${settings.envName}): staff console (S3 + CloudFront)`,
  });

  Tags.of(app).add('project', 'touchpoint-api');
  Tags.of(app).add('environment', settings.envName);
  return { data, api, console };
}
