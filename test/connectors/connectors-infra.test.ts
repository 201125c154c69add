import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { connectLookupFunctionName, connectorVariables, secretsByFunction } from '../../shared/connectors/connector-config.ts';
import { routes } from '../../shared/http/routes.ts';
import { createTouchpointStacks } from '../../infra/touchpoint-app.ts';
import { cdkJsonContext, logicalId, synth } from '../infra/synth-stacks.ts';

const instanceArn = 'arn:aws:connect:eu-west-2:111111111111:instance/c8c0e68d-2200-4265-82c0-a1b2c3d4e5f6';

function synthWithConnect() {
  const app = new App({
    context: {
      ...cdkJsonContext,
      'aws:cdk:bundling-stacks': [],
      env: 'dev',
      connectInstanceArn: instanceArn,
      consoleUrl: 'https://console.example.com/console/',
    },
    builtinCloudFormationValidation: false,
  });
  const stacks = createTouchpointStacks(app);
  return { ...stacks, template: Template.fromStack(stacks.api) };
}

/** The environment variables of a route table function, by its function name. */
function environmentOf(template: Template, functionName: string): Record<string, unknown> {
  const [resource] = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { Description: `Touchpoint API ${functionName}` } }),
  ) as Array<{ Properties: { Environment: { Variables: Record<string, unknown> } } }>;
  return resource?.Properties.Environment.Variables ?? {};
}

describe('connectors in the CDK app', () => {
  it('routes every connector webhook of the route table without the API key authorizer', () => {
    const { apiTemplate } = synth();
    const connectorRoutes = routes.filter((route) => route.access === 'connector');

    expect(connectorRoutes.length).toBeGreaterThan(0);
    for (const route of connectorRoutes) {
      apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: 'NONE',
      });
    }
  });

  it("gives each webhook function its own vendor's secret, from Secrets Manager, and no other connector's", () => {
    const synthesized = synth();
    const secretIds = new Map([...synthesized.api.connectors.secrets].map(([name, secret]) => [name, logicalId(synthesized.api, secret)] as const));

    for (const [functionName, names] of Object.entries(secretsByFunction)) {
      const variables = environmentOf(synthesized.apiTemplate, functionName);
      for (const [name, secretId] of secretIds) {
        const variable = connectorVariables[name];
        if (names.includes(name)) {
          expect(JSON.stringify(variables[variable])).toContain(secretId);
          expect(JSON.stringify(variables[variable])).toContain('resolve:secretsmanager');
        } else {
          expect({ functionName, variable, value: variables[variable] }).toEqual({ functionName, variable, value: undefined });
        }
      }
    }
    // No function outside the connectors holds a connector secret.
    for (const name of Object.values(connectorVariables)) expect(environmentOf(synthesized.apiTemplate, 'ingest-touchpoint')[name]).toBeUndefined();
  });

  it('keeps one secret per vendor credential, retained in prod', () => {
    synth('dev').apiTemplate.resourceCountIs('AWS::SecretsManager::Secret', synth('dev').api.connectors.secrets.size);
    const prod = synth('prod').apiTemplate.findResources('AWS::SecretsManager::Secret');
    expect(Object.values(prod).every((secret) => secret.DeletionPolicy === 'Retain')).toBe(true);
  });

  it('adds no Connect lookup without a configured instance', () => {
    const { api, apiTemplate } = synth();

    expect(api.connectors.connectLookup).toBeUndefined();
    apiTemplate.resourceCountIs('AWS::Connect::IntegrationAssociation', 0);
  });

  it('lets only the configured Connect instance invoke the lookup, associates it with the instance, and stops it at 8 s', () => {
    const { api, template } = synthWithConnect();
    const lookup = api.connectors.connectLookup;
    expect(lookup).toBeDefined();
    const lookupId = logicalId(api, lookup as NonNullable<typeof lookup>);

    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [lookupId, 'Arn'] },
      Principal: 'connect.amazonaws.com',
      SourceArn: instanceArn,
    });
    template.hasResourceProperties('AWS::Connect::IntegrationAssociation', {
      InstanceId: instanceArn,
      IntegrationType: 'LAMBDA_FUNCTION',
      IntegrationArn: { 'Fn::GetAtt': [lookupId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Amazon Connect live lookup'),
      Timeout: 8,
      Environment: { Variables: Match.objectLike({ CONNECT_INSTANCE_ARN: instanceArn, CONSOLE_URL: 'https://console.example.com/console/' }) },
    });
    expect(Object.keys(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'connect.amazonaws.com' } }))).toHaveLength(1);
    expect(connectLookupFunctionName).toBe('lookup-connect-caller');
  });

  it('refuses a Connect instance without a console URL to screen-pop', () => {
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], connectInstanceArn: instanceArn } });

    expect(() => createTouchpointStacks(app)).toThrow(/needs consoleUrl/);
  });
});
