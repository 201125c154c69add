import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { logicalId, synth } from './synth-stacks.ts';

type AlarmResource = { Properties: Record<string, unknown> & { AlarmActions: unknown[]; ActionsEnabled: boolean } };

function alarms(which: 'dev' | 'prod' = 'dev'): AlarmResource[] {
  return Object.values(synth(which).apiTemplate.findResources('AWS::CloudWatch::Alarm')) as AlarmResource[];
}

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
    expect(alarms()).toHaveLength(6);
  });

  it('notify in prod only', () => {
    expect(alarms('prod').map((alarm) => alarm.Properties.ActionsEnabled)).toEqual(Array(6).fill(true));
    expect(alarms('dev').map((alarm) => alarm.Properties.ActionsEnabled)).toEqual(Array(6).fill(false));
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
