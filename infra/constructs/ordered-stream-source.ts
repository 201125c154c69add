import { Duration } from 'aws-cdk-lib';
import type { StreamEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';

/**
 * How the stack's stream consumers read (the table's stream for events out, Amazon Connect's
 * Kinesis stream of contact records): one batch per shard at a time, so the records of one
 * customer or contact are taken in their order; a failing record is reported alone, the batch
 * halved around it, retried a bounded number of times, then parked in the dead-letter queue.
 */
export function orderedStreamSource(retryAttempts: number, deadLetters: IQueue): StreamEventSourceProps & { startingPosition: StartingPosition } {
  return {
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: 100,
    maxBatchingWindow: Duration.seconds(1),
    parallelizationFactor: 1,
    reportBatchItemFailures: true,
    bisectBatchOnError: true,
    retryAttempts,
    maxRecordAge: Duration.hours(24),
    onFailure: new SqsDlq(deadLetters),
  };
}
