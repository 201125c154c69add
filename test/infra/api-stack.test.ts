import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { tableItemActions } from '../../infra/constructs/project-function.ts';
import { usesAuthorizer } from '../../shared/auth/access.ts';
import { authorizerFunctionName, functionNames, notFoundFunctionName, routes } from '../../shared/http/routes.ts';
import { logicalId, type Synthesized, synth } from './synth-stacks.ts';

/** ApiStack: HTTP API routes and stage, project functions, events out, alarms and dashboard. */

/** The logical id of the function a route's integration invokes. */
function functionBehindRoute(synthesized: Synthesized, routeKey: string): string {
  const template = synthesized.apiTemplate;
  const [route] = Object.values(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
  const target = route?.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] } | undefined;
  const integrationId = target?.['Fn::Join'][1][1].Ref;
  const integration = template.findResources('AWS::ApiGatewayV2::Integration')[integrationId ?? ''];
  const uri = integration?.Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] } | undefined;
  return uri?.['Fn::GetAtt'][0] ?? `no integration for ${routeKey}`;
}

describe('HTTP API routes', () => {
  it.each(routes)('routes $method $path to $functionName', (route) => {
    const synthesized = synth();
    const expected = logicalId(synthesized.api, synthesized.api.functions.get(route.functionName)!);

    expect(functionBehindRoute(synthesized, `${route.method} ${route.path}`)).toBe(expected);
  });

  it('sends every other request to the not-found function through $default', () => {
    const synthesized = synth();
    const expected = logicalId(synthesized.api, synthesized.api.functions.get(notFoundFunctionName)!);

    expect(functionBehindRoute(synthesized, '$default')).toBe(expected);
  });

  it.each(routes.filter((route) => usesAuthorizer(route.access)))('puts $method $path behind the Lambda authorizer', (route) => {
    const { api, apiTemplate } = synth();
    const [resource] = Object.values(apiTemplate.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: `${route.method} ${route.path}` } }));

    expect(resource?.Properties).toMatchObject({
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: expect.stringContaining('Authorizer') },
    });
    expect(api.httpApi.authorizer.authorizationType).toBe('CUSTOM');
  });

  it('leaves public routes and $default without an authorizer', () => {
    const { apiTemplate } = synth();
    const open = ['$default', ...routes.filter((route) => !usesAuthorizer(route.access)).map((route) => `${route.method} ${route.path}`)];

    for (const routeKey of open) {
      const [resource] = Object.values(apiTemplate.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
      expect({ routeKey, authorization: resource?.Properties.AuthorizationType ?? 'NONE' }).toEqual({
        routeKey,
        authorization: 'NONE',
      });
    }
  });

  it('holds the web routes (public keys) to a throttle of their own, below the stage limit', () => {
    for (const [which, expected] of [
      ['dev', { rate: 10, burst: 20 }],
      ['prod', { rate: 100, burst: 200 }],
      ['custom', { rate: 7, burst: 9 }],
    ] as const) {
      const webRoute = { ThrottlingRateLimit: expected.rate, ThrottlingBurstLimit: expected.burst };
      synth(which).apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        RouteSettings: { 'POST /v1/web/touchpoints': webRoute, 'OPTIONS /v1/web/touchpoints': webRoute },
      });
    }
  });

  it('deploys the stage after the routes its settings name', () => {
    const { apiTemplate } = synth();
    const [stage] = Object.values(apiTemplate.findResources('AWS::ApiGatewayV2::Stage')) as Array<{ DependsOn?: string[] }>;
    const webRouteIds = Object.entries(apiTemplate.findResources('AWS::ApiGatewayV2::Route'))
      .filter(([, resource]) => String(resource.Properties.RouteKey).endsWith(' /v1/web/touchpoints'))
      .map(([id]) => id);

    expect(webRouteIds).toHaveLength(2);
    expect(stage?.DependsOn).toEqual(expect.arrayContaining(webRouteIds));
  });

  it('has no API-wide CORS configuration, which would override the per-key CORS of the web route', () => {
    for (const which of ['dev', 'prod', 'custom'] as const) {
      synth(which).apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
    }
  });

  it('uses a REQUEST authorizer with simple responses, cached per credential and route', () => {
    synth('prod').apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
      AuthorizerResultTtlInSeconds: 60,
    });
  });

  it('takes the authorizer cache time from context', () => {
    synth('custom').apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('has no routes beyond the route table and $default', () => {
    synth().apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length + 1);
  });

  it('uses payload format 2.0 for every integration', () => {
    const integrations = Object.values(synth().apiTemplate.findResources('AWS::ApiGatewayV2::Integration'));

    expect(integrations.map((integration) => integration.Properties.PayloadFormatVersion)).toEqual(integrations.map(() => '2.0'));
  });
});

describe('HTTP API stage', () => {
  it('is the auto-deployed $default stage with the environment throttling', () => {
    synth('dev').apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('takes throttling from context when given', () => {
    synth('custom').apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 40 },
    });
  });

  it('writes JSON access logs with request id, ip, route, status and latency to its log group', () => {
    const { apiTemplate, api } = synth();
    const [stage] = Object.values(apiTemplate.findResources('AWS::ApiGatewayV2::Stage'));
    const settings = stage?.Properties.AccessLogSettings as { Format: string; DestinationArn: unknown };

    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      clientId: '$context.authorizer.clientId',
    });
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [logicalId(api, api.httpApi.accessLogs), 'Arn'] });
  });
});

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

// biome-ignore lint/suspicious/noExplicitAny: template resources are untyped JSON
function statementsOf(policies: Record<string, Record<string, any>>): Statement[] {
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

function functionResource(synthesized: Synthesized, name: string) {
  const { api, apiTemplate } = synthesized;
  return apiTemplate.findResources('AWS::Lambda::Function')[logicalId(api, api.functions.get(name)!)];
}

/** The statements of the policies attached to a function's role. */
function statementsOfFunction(synthesized: Synthesized, name: string): Statement[] {
  const roleId: string = functionResource(synthesized, name)?.Properties.Role['Fn::GetAtt'][0];
  return statementsOf(synthesized.apiTemplate.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
}

const tableStatementOf = (statements: Statement[]) => statements.find((statement) => asList(statement.Action).includes('dynamodb:GetItem'));
const apiFunctionNames = functionNames.filter((name) => name !== authorizerFunctionName);

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

  it.each([
    ['erase-customer', 29],
    ['export-customer', 29],
    ['merge-customers', 29],
    ['undo-merge', 29],
    ['lookup-customer', 10],
    [authorizerFunctionName, 10],
  ])('%s may run %i s: long routes stop short of the HTTP API 30 s integration timeout', (name, seconds) => {
    const { api, apiTemplate } = synth();
    const resource = apiTemplate.findResources('AWS::Lambda::Function')[logicalId(api, api.functions.get(name)!)];

    expect(resource?.Properties.Timeout).toBe(seconds);
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

  it.each(apiFunctionNames)('%s may read and write items of the table and its named index', (name) => {
    const statement = tableStatementOf(statementsOfFunction(synth(), name));

    expect(asList(statement!.Action).sort()).toEqual([...tableItemActions.readWrite].sort());
    expect(JSON.stringify(statement!.Resource)).toContain('/index/gsi1');
    expect(JSON.stringify(statement!.Resource)).not.toContain('/index/*');
  });

  it('lets the authorizer read items only', () => {
    const statement = tableStatementOf(statementsOfFunction(synth(), authorizerFunctionName));

    expect(asList(statement!.Action).sort()).toEqual([...tableItemActions.read].sort());
  });

  it('never grants Scan', () => {
    const statements = statementsOf(synth().apiTemplate.findResources('AWS::IAM::Policy'));

    expect(statements.flatMap((statement) => asList(statement.Action))).not.toContain('dynamodb:Scan');
  });

  it.each(routes.map((route) => route.functionName))('%s gets the suppression HMAC key as a deploy-time secret reference', (name) => {
    const secret = functionResource(synth(), name)?.Properties.Environment.Variables.SUPPRESSION_HMAC_SECRET;

    expect(JSON.stringify(secret)).toContain('{{resolve:secretsmanager:');
  });

  it('keeps the suppression key away from the authorizer and the event publisher', () => {
    const synthesized = synth();
    const publisher = synthesized.apiTemplate.findResources('AWS::Lambda::Function')[logicalId(synthesized.api, synthesized.api.events.function)];

    expect(functionResource(synthesized, authorizerFunctionName)?.Properties.Environment.Variables).not.toHaveProperty('SUPPRESSION_HMAC_SECRET');
    expect(publisher?.Properties.Environment.Variables).not.toHaveProperty('SUPPRESSION_HMAC_SECRET');
  });

  it('configures OIDC verification in the authorizer only when an issuer is given', () => {
    expect(functionResource(synth('dev'), authorizerFunctionName)?.Properties.Environment.Variables).not.toHaveProperty('JWT_ISSUER');
    expect(functionResource(synth('custom'), authorizerFunctionName)?.Properties.Environment.Variables).toMatchObject({
      JWT_ISSUER: 'https://login.example.com/',
      JWT_AUDIENCE: 'touchpoint-api',
    });
  });

  it('uses Resource "*" only for actions without resource-level permissions', () => {
    const statements = statementsOf(synth().apiTemplate.findResources('AWS::IAM::Policy'));
    const wildcardActions = statements.filter((statement) => statement.Resource === '*').flatMap((statement) => asList(statement.Action));

    expect(new Set(wildcardActions)).toEqual(new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'dynamodb:ListStreams']));
  });

  it('grants the table key to every function when the table uses a customer managed key', () => {
    const statements = statementsOf(synth('custom').apiTemplate.findResources('AWS::IAM::Policy'));
    const keyStatements = statements.filter((statement) => asList(statement.Action).includes('kms:Decrypt'));

    // The API functions encrypt and decrypt; the stream consumer decrypts stream records.
    expect(keyStatements.length).toBeGreaterThanOrEqual(functionNames.length + 1);
  });
});

describe('events out', () => {
  it('creates the EventBridge bus and lets the publisher put events on it', () => {
    const { api, apiTemplate } = synth();
    const busId = logicalId(api, api.events.bus);

    apiTemplate.resourceCountIs('AWS::Events::EventBus', 1);
    apiTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } })]),
      },
    });
  });

  it('consumes the table stream with partial batch failures, bisection, bounded retries and a dead-letter queue', () => {
    const { api, apiTemplate } = synth('prod');

    apiTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(api, api.events.function) },
      EventSourceArn: Match.anyValue(),
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      ParallelizationFactor: 1,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(api, api.events.deadLetterQueue), 'Arn'] } },
      },
    });
  });

  it('retries fewer times in dev', () => {
    synth('dev').apiTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRetryAttempts: 3,
    });
  });

  it('reads the stream of the DataStack table', () => {
    const { apiTemplate, data } = synth();
    const [mapping] = Object.values(apiTemplate.findResources('AWS::Lambda::EventSourceMapping'));

    expect(JSON.stringify(mapping?.Properties.EventSourceArn)).toContain(data.stackName);
    expect(JSON.stringify(mapping?.Properties.EventSourceArn)).toContain('StreamArn');
  });

  it('keeps dead letters for 14 days on an encrypted, TLS-only queue', () => {
    const { api, apiTemplate } = synth();

    apiTemplate.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    apiTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(api, api.events.deadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('tells the publisher its bus and keeps events ids-only by default', () => {
    const { api, apiTemplate } = synth();

    apiTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          EVENT_BUS_NAME: { Ref: logicalId(api, api.events.bus) },
          EVENTS_INCLUDE_PERSONAL_DATA: 'false',
        }),
      },
    });
  });

  it('allows personal data in events only with eventsIncludePersonalData=true', () => {
    synth('custom').apiTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENTS_INCLUDE_PERSONAL_DATA: 'true' }) },
    });
  });

  it('does not give the publisher access to table items, only to the stream', () => {
    const { api, apiTemplate } = synth();
    const publisher = apiTemplate.findResources('AWS::Lambda::Function')[logicalId(api, api.events.function)];
    const roleId: string = publisher?.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(apiTemplate.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
    const actions = policies.flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) => statement.Action),
    );

    expect(actions).toContain('dynamodb:GetRecords');
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(publisher?.Properties.Environment.Variables.TABLE_NAME).toBeUndefined();
  });
});

type AlarmResource = { Properties: Record<string, unknown> & { AlarmActions: unknown[]; ActionsEnabled: boolean } };

function alarms(which: 'dev' | 'prod' = 'dev'): AlarmResource[] {
  return Object.values(synth(which).apiTemplate.findResources('AWS::CloudWatch::Alarm')) as AlarmResource[];
}

describe('scheduled jobs', () => {
  it.each([
    ['value tier sweep', 'tierSweep', 'cron(17 3 * * ? *)', 900],
    ['merge repair', 'mergeRepair', 'rate(5 minutes)', 300],
  ] as const)('runs the %s on its schedule, retrying a failed run twice', (_name, job, expression, timeout) => {
    const { api, apiTemplate } = synth();
    const fn = api[job].function;

    apiTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: expression,
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(api, fn), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600 },
        }),
      ],
    });
    expect(apiTemplate.findResources('AWS::Lambda::Function')[logicalId(api, fn)]?.Properties).toMatchObject({
      Timeout: timeout,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
  });

  it.each(['tierSweep', 'mergeRepair'] as const)('gives the %s item access to the table and its index', (job) => {
    const { api, apiTemplate } = synth();
    const resource = apiTemplate.findResources('AWS::Lambda::Function')[logicalId(api, api[job].function)];
    const roleId: string = resource?.Properties.Role['Fn::GetAtt'][0];
    const statements = statementsOf(apiTemplate.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));

    expect(asList(tableStatementOf(statements)!.Action)).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
    expect(JSON.stringify(tableStatementOf(statements)!.Resource)).toContain('/index/gsi1');
  });

  it.each(['tierSweep', 'mergeRepair'] as const)('alarms when a %s run fails', (job) => {
    const { api, apiTemplate } = synth();

    apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(api, api[job].function) } }],
      Threshold: 0,
    });
  });
});

describe('alarms', () => {
  it('alarm on the API 5xx rate as a share of requests', () => {
    synth().apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' }),
        Match.objectLike({ Id: 'errors', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: '5xx' }) }) }),
      ]),
      Threshold: 5,
    });
  });

  it('alarm on API p99 latency', () => {
    synth('prod').apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
      Threshold: 1000,
    });
  });

  it('alarm on any DynamoDB read or write throttling', () => {
    synth().apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ReadThrottleEvents' }) }) }),
        Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'WriteThrottleEvents' }) }) }),
      ]),
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarm as soon as the dead-letter queue holds a message', () => {
    const { api, apiTemplate } = synth();

    apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(api, api.events.deadLetterQueue), 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('count the authorizer log lines of denied requests as the AuthorizerDenials metric', () => {
    const { api, apiTemplate } = synth();
    const authorizer = api.functions.get(authorizerFunctionName)!;

    apiTemplate.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logicalId(api, authorizer.logGroup) },
      FilterPattern: '{ $.message = "Request denied" }',
      MetricTransformations: [
        Match.objectLike({
          MetricNamespace: 'TouchpointApi',
          MetricName: 'AuthorizerDenials',
          MetricValue: '1',
          Dimensions: [{ Key: 'service', Value: '$.service' }],
        }),
      ],
    });
  });

  it('alarm on the AuthorizerDenials custom metric', () => {
    synth().apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'AuthorizerDenials',
      Namespace: 'TouchpointApi',
      Dimensions: [{ Name: 'service', Value: 'touchpoint-api' }],
      Statistic: 'Sum',
    });
  });

  it('alarm when the event publisher falls behind the stream', () => {
    synth().apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Namespace: 'AWS/Lambda',
    });
  });

  it('all notify the SNS alarm topic, on alarm and on recovery', () => {
    const { api } = synth();
    const topic = { Ref: logicalId(api, api.monitoring.topic) };

    for (const alarm of alarms()) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
    expect(alarms()).toHaveLength(8);
  });

  it('notify in prod only', () => {
    expect(alarms('prod').map((alarm) => alarm.Properties.ActionsEnabled)).toEqual(Array(8).fill(true));
    expect(alarms('dev').map((alarm) => alarm.Properties.ActionsEnabled)).toEqual(Array(8).fill(false));
  });

  it('subscribe the alarm email when one is configured', () => {
    synth('custom').apiTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });
});

describe('dashboard', () => {
  it('exists per environment and graphs the API, functions, table and events', () => {
    const { apiTemplate } = synth('prod');
    const [dashboard] = Object.values(apiTemplate.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    expect(dashboard?.Properties.DashboardName).toBe('touchpoint-api-prod');
    for (const title of ['5xx rate', 'API latency', 'Function duration p99', 'DynamoDB throttles', 'dead letters']) {
      expect(body).toContain(title);
    }
  });
});
