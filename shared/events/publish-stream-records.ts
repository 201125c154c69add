import type { DynamoDBBatchItemFailure, DynamoDBRecord } from 'aws-lambda';
import type { DomainEvent } from './event-schemas.ts';
import { type EventSink, maxEventsPerPublish, type PublishOutcome } from './event-sink.ts';
import { type MappingOptions, StreamRecordError, streamRecordToEvent } from './stream-record-to-event.ts';

export interface PublishDependencies extends MappingOptions {
  sink: EventSink;
}

export interface PublishReport {
  /** What Lambda needs: the first record that did not make it (Lambda resumes the shard there). */
  batchItemFailures: DynamoDBBatchItemFailure[];
  published: number;
  /** Why the batch stopped early; no item contents, so it is safe to log. */
  failure?: { sequenceNumber: string; eventId: string | undefined; reason: string };
}

interface Pending {
  record: DynamoDBRecord;
  sequenceNumber: string;
  event: DomainEvent;
}

/**
 * Publishes the events of a batch of stream records in order, up to `maxEventsPerPublish` per call.
 *
 * On the first failure (a record that cannot be mapped, an entry EventBridge rejects, or a call
 * that fails) it stops and reports that record's sequence number as the batch item failure.
 * Lambda checkpoints everything before it and retries from there, so events keep their shard
 * order; an entry after the failed one in the same call may be published twice, which consumers
 * absorb with `eventId`.
 */
export async function publishStreamRecords(records: readonly DynamoDBRecord[], dependencies: PublishDependencies): Promise<PublishReport> {
  let published = 0;
  let pending: Pending[] = [];

  const flush = async (): Promise<PublishReport['failure']> => {
    const chunk = pending;
    pending = [];
    const [first] = chunk;
    if (first === undefined) return undefined;
    let outcomes: PublishOutcome[];
    try {
      outcomes = await dependencies.sink.publish(chunk.map((entry) => entry.event));
    } catch (error) {
      // SDK errors describe the call (throttling, permissions), never the entries.
      const description = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return failureAt(first, `publish call failed: ${description}`);
    }
    for (const [index, entry] of chunk.entries()) {
      const outcome = outcomes[index];
      if (!outcome?.ok) {
        const reason = outcome ? `${outcome.errorCode}: ${outcome.errorMessage}` : 'no outcome for entry';
        return failureAt(entry, `entry rejected (${reason})`);
      }
      published += 1;
    }
    return undefined;
  };

  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (!sequenceNumber) throw new StreamRecordError(`Stream record ${record.eventID} has no SequenceNumber`);
    let event: DomainEvent | undefined;
    try {
      event = streamRecordToEvent(record, dependencies);
    } catch (error) {
      const earlier = await flush();
      const failure = earlier ?? failureAt({ record, sequenceNumber }, `cannot map record: ${mappingError(error)}`);
      return report(published, failure);
    }
    if (!event) continue;
    pending.push({ record, sequenceNumber, event });
    if (pending.length === maxEventsPerPublish) {
      const failure = await flush();
      if (failure) return report(published, failure);
    }
  }
  return report(published, await flush());
}

function failureAt(entry: Pick<Pending, 'record' | 'sequenceNumber'>, reason: string) {
  return { sequenceNumber: entry.sequenceNumber, eventId: entry.record.eventID, reason };
}

function report(published: number, failure: PublishReport['failure']): PublishReport {
  return {
    batchItemFailures: failure ? [{ itemIdentifier: failure.sequenceNumber }] : [],
    published,
    ...(failure && { failure }),
  };
}

/** Error names and zod issue paths only: a validation message could quote item contents. */
function mappingError(error: unknown): string {
  if (error && typeof error === 'object' && 'issues' in error && Array.isArray(error.issues)) {
    const paths = error.issues.map((issue: { path?: unknown[] }) => (issue.path ?? []).join('.') || '(root)');
    return `invalid item (${paths.join(', ')})`;
  }
  if (error instanceof StreamRecordError) return error.message;
  return error instanceof Error ? error.name : 'unknown error';
}
