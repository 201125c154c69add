import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { CfnIntegrationAssociation } from 'aws-cdk-lib/aws-connect';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type ConnectorSecret,
  connectEventsFunctionName,
  connectLookupFunctionName,
  connectRecordsFunctionName,
  connectorSecretSettings,
  connectorVariables,
  secretsByFunction,
  sesFunctionName,
} from '../../shared/connectors/connector-config.ts';
import { trackEventsVariable } from '../../shared/connectors/segment/track-events.ts';
import type { EnvironmentSettings } from '../config/environment-settings.ts';
import { orderedStreamSource } from './ordered-stream-source.ts';
import { ProjectFunction } from './project-function.ts';

export interface ConnectorsProps {
  settings: EnvironmentSettings;
  table: ITable;
  /** The route table's functions, connector webhooks among them. */
  functions: ReadonlyMap<string, LambdaFunction>;
}

/** The Segment tracking endpoint's function, which maps track events as configured. */
const segmentFunctionName = 'receive-segment-events';

/** A contact older than this in the stream is late on the agents' timeline. */
const connectRecordsMaxLagMs = 10 * 60_000;

const secretDescriptions: Record<ConnectorSecret, string> = {
  stripeWebhookSecret: "Stripe webhook endpoint's signing secret (whsec_...), from the Stripe Dashboard",
  twilioAuthToken: "Twilio account's auth token, which signs its webhooks (X-Twilio-Signature)",
  segmentWriteKey: 'Write key that Segment-compatible sources send (analytics.js, @segment/analytics-node)',
  ctiWebhookSecrets: 'CTI webhook secrets: a JSON object of system name to the HMAC secret that system signs with',
};

/**
 * What the connectors add to the API stack (docs/connectors.md): one Secrets Manager secret per
 * vendor credential, each resolved into the environment of the functions that verify that vendor
 * and no other (a CloudFormation dynamic reference, as the suppression key is: the functions need
 * no secretsmanager permission at run time); and, when an Amazon Connect instance is configured,
 * the live lookup function, invocable by that instance only and associated with it.
 */
export class Connectors extends Construct {
  readonly secrets: ReadonlyMap<ConnectorSecret, Secret>;
  readonly connectLookup: ProjectFunction | undefined;
  /** Amazon Connect contact records (Kinesis) and contact events (EventBridge): each when configured. */
  readonly connectRecords: ProjectFunction | undefined;
  readonly connectEvents: ProjectFunction | undefined;
  /** Where a contact record or event goes after its last retry; there when either consumer is. */
  readonly connectDeadLetterQueue: Queue | undefined;
  /** The consumers' alarms (dead letters, Kinesis iterator age); they notify once `notifyAlarms` is given the topic. */
  readonly alarms: Alarm[] = [];
  private readonly alarmActionsEnabled: boolean;

  constructor(scope: Construct, id: string, props: ConnectorsProps) {
    super(scope, id);
    const { settings, table, functions } = props;
    this.alarmActionsEnabled = settings.alarmActionsEnabled;

    this.secrets = new Map(
      connectorSecretSettings.map((name) => {
        const secret = new Secret(this, name, {
          description: `Touchpoint API (${settings.envName}): ${secretDescriptions[name]}`,
          removalPolicy: settings.removalPolicy,
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The vendor issues and rolls this credential (Stripe, Twilio) or the site owner does (write key): rotation happens there, then the value is put here.',
        });
        return [name, secret] as const;
      }),
    );
    for (const [functionName, secretNames] of Object.entries(secretsByFunction)) {
      const fn = functions.get(functionName);
      if (!fn) throw new Error(`No function ${functionName} in the route table for its connector secret.`);
      for (const name of secretNames) {
        fn.addEnvironment(connectorVariables[name], (this.secrets.get(name) as Secret).secretValue.unsafeUnwrap());
      }
    }

    // Topic ARNs are no secret: they come from context, and without one every SNS message is refused.
    if (settings.sesTopicArns.length > 0) {
      const ses = functions.get(sesFunctionName);
      if (!ses) throw new Error(`No function ${sesFunctionName} in the route table for the SES topic allow-list.`);
      ses.addEnvironment(connectorVariables.sesTopicArns, settings.sesTopicArns.join(','));
    }

    this.connectLookup = settings.connect && this.connectLookupFunction(settings, table, settings.connect);
    if (settings.segmentTrackEvents) functions.get(segmentFunctionName)?.addEnvironment(trackEventsVariable, settings.segmentTrackEvents);

    const { connectRecordsStreamArn } = settings;
    this.connectDeadLetterQueue = connectRecordsStreamArn || settings.connect ? this.contactDeadLetterQueue(settings) : undefined;
    this.connectRecords = connectRecordsStreamArn ? this.connectRecordsConsumer(settings, table, connectRecordsStreamArn) : undefined;
    this.connectEvents = settings.connect && this.connectEventsConsumer(settings, table, settings.connect.instanceArn);
  }

  /** Sends the connectors' alarms (and their return to OK) to the API's alarm topic. */
  notifyAlarms(topic: ITopic): void {
    const action = new SnsAction(topic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  private connectLookupFunction(settings: EnvironmentSettings, table: ITable, connect: NonNullable<EnvironmentSettings['connect']>): ProjectFunction {
    const fn = new ProjectFunction(this, connectLookupFunctionName, {
      functionName: connectLookupFunctionName,
      settings,
      table,
      description: 'Amazon Connect live lookup: the caller as a contact flow sees it',
      // Connect waits at most 8 s for a Lambda; a lookup that slow has failed anyway.
      timeout: Duration.seconds(8),
      environment: { CONNECT_INSTANCE_ARN: connect.instanceArn, CONSOLE_URL: connect.consoleUrl },
    });
    fn.addPermission('InvokedByConnect', {
      principal: new ServicePrincipal('connect.amazonaws.com'),
      sourceArn: connect.instanceArn,
      sourceAccount: Stack.of(this).account,
    });
    // Lists the function in the instance's flows ("Invoke AWS Lambda function" block).
    new CfnIntegrationAssociation(this, 'ConnectLookupAssociation', {
      instanceId: connect.instanceArn,
      integrationType: 'LAMBDA_FUNCTION',
      integrationArn: fn.functionArn,
    });
    return fn;
  }

  private contactDeadLetterQueue(settings: EnvironmentSettings): Queue {
    const queue = new Queue(this, 'ConnectDeadLetterQueue', {
      // The longest SQS allows: a Kinesis failure names the shard and sequence range to re-read, an
      // EventBridge one carries the event itself.
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: settings.removalPolicy,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the Amazon Connect consumers; a dead-letter queue of its own would add nothing.',
    });
    this.contactAlarm(
      'ConnectDeadLetters',
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      'Amazon Connect contact records or events gave up after their retries (see the Connect dead-letter queue)',
      0,
      1,
    );
    return queue;
  }

  /**
   * Contact trace records from the stream Connect exports them to: a failed record is reported
   * alone (partial batch response), the batch split to isolate it, retried a bounded number of
   * times, then named in the dead-letter queue, so one bad record cannot stall its shard.
   */
  private connectRecordsConsumer(settings: EnvironmentSettings, table: ITable, streamArn: string): ProjectFunction {
    const fn = new ProjectFunction(this, connectRecordsFunctionName, {
      functionName: connectRecordsFunctionName,
      settings,
      table,
      description: 'Amazon Connect contact records from Kinesis to call touchpoints',
      timeout: Duration.minutes(1),
    });
    fn.addEventSource(
      new KinesisEventSource(
        Stream.fromStreamArn(this, 'ConnectRecordsStream', streamArn),
        orderedStreamSource(settings.streamRetryAttempts, this.connectDeadLetterQueue as Queue),
      ),
    );
    this.contactAlarm(
      'ConnectRecordsIteratorAge',
      fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
      `Amazon Connect contact records wait more than ${connectRecordsMaxLagMs / 60_000} minutes in the stream (the consumer is failing or too slow)`,
      connectRecordsMaxLagMs,
      5,
      3,
    );
    return fn;
  }

  /**
   * Contact events of this instance from the default event bus (only AWS can publish `aws.connect`
   * events there), the final ones only: the rest would invoke the function to be ignored.
   */
  private connectEventsConsumer(settings: EnvironmentSettings, table: ITable, instanceArn: string): ProjectFunction {
    const fn = new ProjectFunction(this, connectEventsFunctionName, {
      functionName: connectEventsFunctionName,
      settings,
      table,
      description: 'Amazon Connect contact events from EventBridge to call touchpoints',
      timeout: Duration.seconds(30),
    });
    const deadLetterQueue = this.connectDeadLetterQueue as Queue;
    fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(deadLetterQueue) });
    new Rule(this, 'ConnectContactEvents', {
      description: 'Amazon Connect contact events (disconnected, completed) of the configured instance',
      eventPattern: {
        source: ['aws.connect'],
        detailType: ['Amazon Connect Contact Event'],
        resources: [instanceArn],
        detail: { eventType: ['DISCONNECTED', 'COMPLETED'] },
      },
      targets: [new LambdaTarget(fn, { deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });
    return fn;
  }

  private contactAlarm(
    id: string,
    metric: IMetric,
    description: string,
    threshold: number,
    evaluationPeriods: number,
    datapointsToAlarm = evaluationPeriods,
  ): void {
    this.alarms.push(
      new Alarm(this, id, {
        metric,
        alarmDescription: description,
        threshold,
        evaluationPeriods,
        datapointsToAlarm,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        actionsEnabled: this.alarmActionsEnabled,
      }),
    );
  }
}
