import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type DomainEvent, eventSource } from './event-schemas.ts';

/** PutEvents accepts at most 10 entries per call. */
export const maxEventsPerPublish = 10;

/** What became of one event of a `publish` call, in the order the events were given. */
export type PublishOutcome = { ok: true } | { ok: false; errorCode: string; errorMessage: string };

/**
 * Where domain events go: EventBridge in AWS, a recording fake in tests. `publish` takes at most
 * `maxEventsPerPublish` events, reports each one's outcome (a call can partly fail), and rejects
 * only when the call as a whole failed.
 */
export interface EventSink {
  publish(events: readonly DomainEvent[]): Promise<PublishOutcome[]>;
}

export function eventBridgeSink(client: EventBridgeClient, eventBusName: string): EventSink {
  return {
    async publish(events) {
      if (events.length > maxEventsPerPublish) {
        throw new RangeError(`PutEvents takes at most ${maxEventsPerPublish} entries; got ${events.length}`);
      }
      const response = await client.send(
        new PutEventsCommand({
          Entries: events.map((event) => ({
            EventBusName: eventBusName,
            Source: eventSource,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
            Time: event.time,
          })),
        }),
      );
      // The result entries are in the order of the request's entries.
      return events.map((_, index) => {
        const entry = response.Entries?.[index];
        if (entry?.EventId) return { ok: true } as const;
        return {
          ok: false,
          errorCode: entry?.ErrorCode ?? 'MissingResultEntry',
          errorMessage: entry?.ErrorMessage ?? 'PutEvents returned no result for this entry',
        } as const;
      });
    },
  };
}
