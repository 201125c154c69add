import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from '../config/environment-settings.ts';
import { ProjectFunction } from './project-function.ts';
import { orderedStreamSource } from './ordered-stream-source.ts';

export const publishEventsFunctionName = 'publish-events';

export interface EventPublisherProps {
  settings: EnvironmentSettings;
  /** Must have a NEW_AND_OLD_IMAGES stream. */
  table: ITable;
}

/**
 * Events out: the table's stream feeds `publish-events`, which turns records into domain events
 * (shared/events) on the bus. A batch that keeps failing is split (bisect) to isolate the bad
 * record, retried a bounded number of times, and its description then goes to the dead-letter
 * queue, so one poison record cannot stall the shard for the stream's 24-hour retention.
 */
export class EventPublisher extends Construct {
  readonly bus: EventBus;
  readonly deadLetterQueue: Queue;
  readonly function: ProjectFunction;

  constructor(scope: Construct, id: string, props: EventPublisherProps) {
    super(scope, id);
    const { settings, table } = props;

    this.bus = new EventBus(this, 'Bus', {
      description: `Touchpoint API (${settings.envName}) domain events`,
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      // The longest SQS allows: time to inspect and redrive; records name the shard and
      // sequence range to re-read while the stream still holds them.
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: settings.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue (on-failure destination) of the stream consumer; a dead-letter queue of its own would add nothing.',
    });

    this.function = new ProjectFunction(this, 'Function', {
      functionName: publishEventsFunctionName,
      settings,
      description: 'Publishes domain events from the table stream to EventBridge',
      memorySize: 512,
      timeout: Duration.seconds(30),
      environment: {
        EVENT_BUS_NAME: this.bus.eventBusName,
        EVENTS_INCLUDE_PERSONAL_DATA: String(settings.eventsIncludePersonalData),
      },
    });
    this.bus.grantPutEventsTo(this.function);

    this.function.addEventSource(new DynamoEventSource(table, orderedStreamSource(settings.streamRetryAttempts, this.deadLetterQueue)));
  }
}
