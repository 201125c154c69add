import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { type EventSink, eventBridgeSink } from '../../shared/events/event-sink.ts';
import { eventsConfig } from '../../shared/events/events-config.ts';
import { publishStreamRecords } from '../../shared/events/publish-stream-records.ts';

export interface PublishEventsDependencies {
  sink: EventSink;
  includePersonalData: boolean;
  logger?: Pick<Logger, 'warn'>;
  metrics?: Pick<Metrics, 'addMetric'>;
}

/** The DynamoDB stream consumer without Lambda wiring: tests call it with a recording sink. */
export async function publishEvents(event: DynamoDBStreamEvent, dependencies: PublishEventsDependencies): Promise<DynamoDBBatchResponse> {
  const report = await publishStreamRecords(event.Records, dependencies);
  dependencies.metrics?.addMetric('EventsPublished', MetricUnit.Count, report.published);
  if (report.failure) {
    dependencies.metrics?.addMetric('EventPublishFailures', MetricUnit.Count, 1);
    dependencies.logger?.warn('Stopped publishing at a failed record; Lambda retries from it', report.failure);
  }
  return { batchItemFailures: report.batchItemFailures };
}

const logger = new Logger();
const tracer = new Tracer();
const metrics = new Metrics();
const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => {
    const { EVENT_BUS_NAME, EVENTS_INCLUDE_PERSONAL_DATA } = eventsConfig();
    return publishEvents(event, {
      sink: eventBridgeSink(eventBridge, EVENT_BUS_NAME),
      includePersonalData: EVENTS_INCLUDE_PERSONAL_DATA,
      logger,
      metrics,
    });
  });
