import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { createTouchpointStacks } from '../../infra/touchpoint-app.ts';
import { cdkJsonContext, logicalId, synth } from '../infra/synth-stacks.ts';

const instanceArn = 'arn:aws:connect:eu-west-2:111111111111:instance/c8c0e68d-2200-4265-82c0-a1b2c3d4e5f6';
const streamArn = 'arn:aws:kinesis:eu-west-2:111111111111:stream/connect-contact-records';

function synthWith(context: Record<string, string>) {
  const app = new App({
    context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], env: 'dev', ...context },
    builtinCloudFormationValidation: false,
  });
  const stacks = createTouchpointStacks(app);
  return { ...stacks, template: Template.fromStack(stacks.api) };
}

const configured = synthWith({ connectInstanceArn: instanceArn, consoleUrl: 'https://console.example.com/console/', connectRecordsStreamArn: streamArn });
const { api, template } = configured;

/** The logical id of a construct the configured stack must have. */
function idOf(construct: IConstruct | undefined): string {
  if (!construct) throw new Error('expected the construct to exist');
  return logicalId(api, construct);
}

describe('Amazon Connect contact consumers in the CDK app', () => {
  it('reads the configured stream with partial batch failures, bisect, bounded retries and the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: streamArn,
      FunctionName: { Ref: idOf(api.connectors.connectRecords) },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      ParallelizationFactor: 1,
      MaximumRetryAttempts: Match.anyValue(),
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [idOf(api.connectors.connectDeadLetterQueue), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['kinesis:GetRecords']), Resource: streamArn })]) },
    });
  });

  it("routes this instance's final contact events to their consumer, retried and then dead-lettered", () => {
    const queueArn = { 'Fn::GetAtt': [idOf(api.connectors.connectDeadLetterQueue), 'Arn'] };

    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.connect'],
        'detail-type': ['Amazon Connect Contact Event'],
        resources: [instanceArn],
        detail: { eventType: ['DISCONNECTED', 'COMPLETED'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [idOf(api.connectors.connectEvents), 'Arn'] }, DeadLetterConfig: { Arn: queueArn } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: queueArn } } });
  });

  it('alarms on dead letters and on records waiting in the stream, through the API alarm topic', () => {
    const topic = { Ref: idOf(api.monitoring.topic) };

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(api.connectors.connectDeadLetterQueue), 'QueueName'] } }],
      Threshold: 0,
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      AlarmDescription: Match.stringLikeRegexp('contact records'),
      AlarmActions: [topic],
    });
  });

  it('adds no consumer, queue or rule when neither the stream nor the instance is configured', () => {
    const { api: plain, apiTemplate } = synth();

    expect([plain.connectors.connectRecords, plain.connectors.connectEvents, plain.connectors.connectDeadLetterQueue]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    apiTemplate.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    expect(Object.keys(apiTemplate.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.connect'] } } }))).toEqual([]);
  });

  it('refuses a stream setting that is not a Kinesis stream ARN', () => {
    expect(() => synthWith({ connectRecordsStreamArn: 'connect-contact-records' })).toThrow(/Kinesis data stream ARN/);
  });
});
