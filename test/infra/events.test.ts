import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { logicalId, synth } from './synth-stacks.ts';

describe('events out', () => {
  it('creates the EventBridge bus and lets the publisher put events on it', () => {
    const { api, apiTemplate } = synth();
    const busId = logicalId(api, api.events.bus);

    apiTemplate.resourceCountIs('AWS::Events::EventBus', 1);
    apiTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } }),
        ]),
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
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
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
    const policies = Object.values(
      apiTemplate.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    );
    const actions = policies.flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) => statement.Action),
    );

    expect(actions).toContain('dynamodb:GetRecords');
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(publisher?.Properties.Environment.Variables.TABLE_NAME).toBeUndefined();
  });
});
