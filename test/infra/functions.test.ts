import { describe, expect, it } from 'vitest';
import { tableItemActions } from '../../infra/constructs/project-function.ts';
import { functionNames } from '../../shared/http/routes.ts';
import { logicalId, synth } from './synth-stacks.ts';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

// biome-ignore lint/suspicious/noExplicitAny: template resources are untyped JSON
function statementsOf(policies: Record<string, Record<string, any>>): Statement[] {
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

describe('project functions', () => {
  it.each(functionNames)('%s runs Node 22 on ARM64 with X-Ray tracing from an ESM bundle', (name) => {
    const { api, apiTemplate } = synth();
    const resource = apiTemplate.findResources('AWS::Lambda::Function')[logicalId(api, api.functions.get(name)!)];

    expect(resource?.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
    });
  });

  it.each(functionNames)('%s gets the table name, phone region, Powertools settings and source maps', (name) => {
    const { api, apiTemplate, data } = synth();
    const resource = apiTemplate.findResources('AWS::Lambda::Function')[logicalId(api, api.functions.get(name)!)];

    expect(resource?.Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: expect.anything(),
      DEFAULT_PHONE_REGION: 'GB',
      POWERTOOLS_SERVICE_NAME: 'touchpoint-api',
      POWERTOOLS_METRICS_NAMESPACE: 'TouchpointApi',
      NODE_OPTIONS: '--enable-source-maps',
    });
    // A cross-stack reference to the DataStack's table.
    expect(JSON.stringify(resource?.Properties.Environment.Variables.TABLE_NAME)).toContain(data.stackName);
  });

  it('sets the phone region from context', () => {
    const { api, apiTemplate } = synth('custom');
    const resource = apiTemplate.findResources('AWS::Lambda::Function')[logicalId(api, api.functions.get('lookup-customer')!)];

    expect(resource?.Properties.Environment.Variables.DEFAULT_PHONE_REGION).toBe('IE');
  });

  it.each(functionNames)('%s logs to its own log group with the environment retention', (name) => {
    const { api, apiTemplate } = synth('prod');
    const resource = apiTemplate.findResources('AWS::Lambda::Function')[logicalId(api, api.functions.get(name)!)];
    const logGroupId: string = resource?.Properties.LoggingConfig.LogGroup.Ref;

    expect(apiTemplate.findResources('AWS::Logs::LogGroup')[logGroupId]).toMatchObject({
      Properties: { RetentionInDays: 90 },
      DeletionPolicy: 'Retain',
    });
  });

  it('grants item access on the table and its index, but never Scan', () => {
    const statements = statementsOf(synth().apiTemplate.findResources('AWS::IAM::Policy'));
    const tableStatements = statements.filter((statement) => asList(statement.Action).includes('dynamodb:PutItem'));

    expect(tableStatements).toHaveLength(functionNames.length);
    for (const statement of tableStatements) {
      expect(asList(statement.Action).sort()).toEqual([...tableItemActions].sort());
      expect(JSON.stringify(statement.Resource)).toContain('/index/gsi1');
      expect(JSON.stringify(statement.Resource)).not.toContain('/index/*');
    }
    expect(statements.flatMap((statement) => asList(statement.Action))).not.toContain('dynamodb:Scan');
  });

  it('uses Resource "*" only for actions without resource-level permissions', () => {
    const statements = statementsOf(synth().apiTemplate.findResources('AWS::IAM::Policy'));
    const wildcardActions = statements
      .filter((statement) => statement.Resource === '*')
      .flatMap((statement) => asList(statement.Action));

    expect(new Set(wildcardActions)).toEqual(
      new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'dynamodb:ListStreams']),
    );
  });

  it('grants the table key to every function when the table uses a customer managed key', () => {
    const statements = statementsOf(synth('custom').apiTemplate.findResources('AWS::IAM::Policy'));
    const keyStatements = statements.filter((statement) => asList(statement.Action).includes('kms:Decrypt'));

    // The API functions encrypt and decrypt; the stream consumer decrypts stream records.
    expect(keyStatements.length).toBeGreaterThanOrEqual(functionNames.length + 1);
  });
});
