import { Duration, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from '../config/environment-settings.ts';
import type { ScheduledJob } from './scheduled-job.ts';

/** The custom metric namespace Powertools Metrics writes to (POWERTOOLS_METRICS_NAMESPACE). */
export const metricsNamespace = 'TouchpointApi';

export interface MonitoringProps {
  settings: EnvironmentSettings;
  api: HttpApi;
  table: ITable;
  /** By function name; the dashboard graphs each one. */
  functions: ReadonlyMap<string, IFunction>;
  /** Its log group's `Request denied` lines become the AuthorizerDenials metric. */
  authorizer: IFunction & { logGroup: ILogGroup };
  publisher: IFunction;
  deadLetterQueue: IQueue;
  /** Scheduled maintenance (tier sweep, merge repair): each failed run alarms. */
  scheduledJobs: ScheduledJob[];
}

/** Alarms that page through one SNS topic, and one dashboard for the whole API. */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  private readonly actionsEnabled: boolean;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { settings, api, table, functions, authorizer, publisher, deadLetterQueue, scheduledJobs } = props;
    this.actionsEnabled = settings.alarmActionsEnabled;
    const thresholds = settings.alarmThresholds;

    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `Touchpoint API (${settings.envName}) alarms`,
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and metric values, no customer data; CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, and a customer managed key per environment is not warranted for them.',
    });
    if (settings.alarmEmail) this.topic.addSubscription(new EmailSubscription(settings.alarmEmail));

    const requests = api.metricCount({ period: Duration.minutes(1), statistic: 'Sum' });
    const serverErrors = api.metricServerError({ period: Duration.minutes(1), statistic: 'Sum' });
    const serverErrorRate = new MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period: Duration.minutes(1),
      label: '5xx rate (%)',
    });
    const latencyP99 = api.metricLatency({ period: Duration.minutes(5), statistic: 'p99' });
    const tableThrottles = new MathExpression({
      expression: 'readThrottles + writeThrottles',
      usingMetrics: {
        readThrottles: table.metric('ReadThrottleEvents', { period: Duration.minutes(1), statistic: 'Sum' }),
        writeThrottles: table.metric('WriteThrottleEvents', { period: Duration.minutes(1), statistic: 'Sum' }),
      },
      period: Duration.minutes(1),
      label: 'Throttled read + write events',
    });
    const deadLetters = deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    });
    // From the authorizer's own log line rather than an extra metric call in its hot path; the
    // dimension matches what Powertools Metrics would write, should the authorizer emit it itself
    // (then this filter must go, or denials count twice).
    new MetricFilter(this, 'AuthorizerDenialsFilter', {
      logGroup: authorizer.logGroup,
      filterPattern: FilterPattern.stringValue('$.message', '=', 'Request denied'),
      metricNamespace: metricsNamespace,
      metricName: 'AuthorizerDenials',
      metricValue: '1',
      dimensions: { service: '$.service' },
    });
    const authorizerDenials = new Metric({
      namespace: metricsNamespace,
      metricName: 'AuthorizerDenials',
      dimensionsMap: { service: 'touchpoint-api' },
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
    const publisherIteratorAge = publisher.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' });

    this.alarm('ApiServerErrorRate', serverErrorRate, {
      description: `More than ${thresholds.serverErrorRatePercent}% of requests answered 5xx in 3 of 5 minutes`,
      threshold: thresholds.serverErrorRatePercent,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
    });
    this.alarm('ApiLatencyP99', latencyP99, {
      description: `API p99 latency above ${thresholds.latencyP99Ms} ms for 15 minutes`,
      threshold: thresholds.latencyP99Ms,
      evaluationPeriods: 3,
    });
    this.alarm('TableThrottles', tableThrottles, {
      description: 'DynamoDB throttled requests (on-demand tables throttle above twice the previous peak)',
      threshold: 0,
      evaluationPeriods: 1,
    });
    this.alarm('EventsDeadLetters', deadLetters, {
      description: 'Stream records gave up after retries: events were not published; inspect and redrive',
      threshold: 0,
      evaluationPeriods: 1,
    });
    this.alarm('AuthorizerDenials', authorizerDenials, {
      description: `More than ${thresholds.authorizerDenialsPer5Minutes} authorizer denials in 5 minutes (a leaked or guessed key?)`,
      threshold: thresholds.authorizerDenialsPer5Minutes,
      evaluationPeriods: 1,
    });
    for (const job of scheduledJobs) {
      this.alarm(`${job.node.id}Errors`, job.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }), {
        description: `A scheduled run failed after its retries (${job.description}); see the function's log group`,
        threshold: 0,
        evaluationPeriods: 1,
      });
    }
    this.alarm('EventsPublisherIteratorAge', publisherIteratorAge, {
      description: 'The event publisher is falling behind the table stream (stream records expire after 24 hours)',
      threshold: thresholds.publisherIteratorAgeMs,
      evaluationPeriods: 5,
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `touchpoint-api-${settings.envName}`,
      defaultInterval: Duration.hours(6),
    });
    const functionList = [...functions.entries()];
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Touchpoint API (${settings.envName})\nAlarms notify the SNS topic; runbook in the README.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }));
    this.dashboard.addWidgets(
      graph('Requests and errors', [requests, api.metricClientError({ period: Duration.minutes(1), statistic: 'Sum' }), serverErrors]),
      graph('5xx rate (%)', [serverErrorRate]),
      graph('API latency (ms)', [
        api.metricLatency({ period: Duration.minutes(1), statistic: 'p50', label: 'p50' }),
        api.metricLatency({ period: Duration.minutes(1), statistic: 'p99', label: 'p99' }),
        api.metricIntegrationLatency({ period: Duration.minutes(1), statistic: 'p99', label: 'integration p99' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Function duration p99 (ms)',
        functionList.map(([name, fn]) => fn.metricDuration({ statistic: 'p99', period: Duration.minutes(1), label: name })),
      ),
      graph(
        'Function errors',
        functionList.map(([name, fn]) => fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(1), label: name })),
      ),
      graph(
        'Function throttles',
        functionList.map(([name, fn]) => fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(1), label: name })),
      ),
    );
    this.dashboard.addWidgets(
      graph('DynamoDB consumed capacity', [
        table.metricConsumedReadCapacityUnits({ period: Duration.minutes(1), statistic: 'Sum' }),
        table.metricConsumedWriteCapacityUnits({ period: Duration.minutes(1), statistic: 'Sum' }),
      ]),
      graph('DynamoDB throttles', [tableThrottles]),
      graph('Events: publisher lag and dead letters', [publisherIteratorAge, deadLetters]),
    );
    this.dashboard.addWidgets(
      graph('Events published', [
        new Metric({
          namespace: metricsNamespace,
          metricName: 'EventsPublished',
          dimensionsMap: { service: 'touchpoint-api' },
          statistic: 'Sum',
          period: Duration.minutes(1),
        }),
        new Metric({
          namespace: metricsNamespace,
          metricName: 'EventPublishFailures',
          dimensionsMap: { service: 'touchpoint-api' },
          statistic: 'Sum',
          period: Duration.minutes(1),
        }),
      ]),
      graph('Authorizer denials', [authorizerDenials]),
    );
  }

  private alarm(id: string, metric: IMetric, options: { description: string; threshold: number; evaluationPeriods: number; datapointsToAlarm?: number }): void {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: options.description,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods,
      ...(options.datapointsToAlarm !== undefined && { datapointsToAlarm: options.datapointsToAlarm }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No traffic, no publisher invocations, no denials: all healthy.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      actionsEnabled: this.actionsEnabled,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 8, height: 6 });
}
