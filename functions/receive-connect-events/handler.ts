import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { contactEventSchema, mapContactEvent } from '../../shared/connectors/amazon-connect/contact-records.ts';
import { recordContact } from '../../shared/connectors/amazon-connect/record-contact.ts';
import { logger } from '../../shared/observability/logger.ts';

/**
 * An EventBridge "Amazon Connect Contact Event" (the rule passes this instance's only). A
 * DISCONNECTED or COMPLETED event records or amends the contact's call touchpoint; a contact trace
 * record of the same contact outranks it whatever their order. A failure throws: Lambda retries
 * the asynchronous invocation, then sends it to the dead-letter queue.
 */
export async function receiveConnectEvent(event: unknown): Promise<void> {
  const receivedAt = new Date();
  const parsed = contactEventSchema.safeParse(event);
  if (!parsed.success) {
    logger.warn('Not an Amazon Connect contact event', { issues: parsed.error.issues.map((issue) => issue.path.join('.')) });
    throw new Error('Not an Amazon Connect contact event');
  }
  await recordContact(mapContactEvent(parsed.data), receivedAt);
}

export const handler = middy<unknown, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event) => receiveConnectEvent(event));
