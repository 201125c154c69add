import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { contactTraceRecordSchema, mapContactTraceRecord } from '../../shared/connectors/amazon-connect/contact-records.ts';
import { recordContact } from '../../shared/connectors/amazon-connect/record-contact.ts';
import { logger } from '../../shared/observability/logger.ts';

const processor = new BatchProcessor(EventType.KinesisDataStreams);

/**
 * Amazon Connect's contact trace records from its Kinesis data stream. Each record becomes (or
 * amends) its contact's call touchpoint; a record that fails is reported in `batchItemFailures`,
 * so Lambda retries from it without redoing the ones before, splits the batch to isolate it, and
 * after the last retry hands it to the dead-letter queue. Records are taken in stream order (one
 * shard's records for one contact arrive oldest first), not in parallel.
 */
export function receiveConnectRecords(event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> {
  return processPartialResponse(event, recordOne, processor, {
    ...(context ? { context } : {}),
    processInParallel: false,
    // Every record failed: report them all rather than throw, which Lambda treats the same way.
    throwOnFullBatchFailure: false,
  });
}

async function recordOne(record: KinesisStreamRecord): Promise<void> {
  const receivedAt = new Date();
  const text = Buffer.from(record.kinesis.data, 'base64').toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw poison(record, 'not JSON');
  }
  const parsed = contactTraceRecordSchema.safeParse(payload);
  if (!parsed.success) throw poison(record, parsed.error.issues.map((issue) => issue.path.join('.')).join(', '));
  await recordContact(mapContactTraceRecord(parsed.data), receivedAt);
}

/** Not a contact trace record: failed, so that it ends in the dead-letter queue for someone to look at, named by its place in the stream. */
function poison(record: KinesisStreamRecord, reason: string): Error {
  logger.warn('Kinesis record is not an Amazon Connect contact trace record', { sequenceNumber: record.kinesis.sequenceNumber, reason });
  return new Error(`Record ${record.kinesis.sequenceNumber} is not a contact trace record`);
}

export const handler = middy<KinesisStreamEvent, KinesisStreamBatchResponse, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event, context) => receiveConnectRecords(event, context));
