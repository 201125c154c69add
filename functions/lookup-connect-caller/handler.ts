import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { connectorSetting } from '../../shared/connectors/connector-config.ts';
import { callerNumber, contactFlowEventSchema, type LookupAnswer, lookupAnswer } from '../../shared/connectors/amazon-connect/lookup.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import { ulidGenerator } from '../../shared/domain/ids.ts';
import { type LookupResult, lookupCustomer } from '../../shared/domain/read-customers.ts';
import { logger } from '../../shared/observability/logger.ts';
import { accessLogStore } from '../../shared/db/privacy-store-instances.ts';

const nextEntryId = ulidGenerator();

/**
 * Answers a contact flow's "Invoke AWS Lambda function" block with what the agent needs before
 * picking up. A refusal (an event of another Connect instance, or not a contact flow event) throws:
 * the flow then takes its Error branch, as for a timeout. The read is audited like the API's lookup,
 * and fails closed the same way: no audit entry, no data.
 */
export async function lookupConnectCaller(event: unknown, now = new Date()): Promise<LookupAnswer> {
  const parsed = contactFlowEventSchema.safeParse(event);
  if (!parsed.success) {
    logger.warn('Refused a Connect invocation that is not a contact flow event', { issues: parsed.error.issues.map((issue) => issue.path.join('.')) });
    throw new Error('Not an Amazon Connect contact flow event');
  }
  const contact = parsed.data.Details.ContactData;
  if (contact.InstanceARN !== connectorSetting('connectInstanceArn')) {
    logger.warn('Refused a contact flow event of another Connect instance', { contactId: contact.ContactId });
    throw new Error('Contact flow event of an unexpected Amazon Connect instance');
  }
  const phone = callerNumber(parsed.data);
  const result = phone === undefined ? undefined : await lookupOrUnknown(phone);
  if (result?.kind === 'customer') {
    await accessLogStore().record({
      customerId: result.view.customer.customerId,
      entryId: nextEntryId(),
      at: now.toISOString(),
      clientId: 'connector:amazon-connect',
      clientName: 'amazon-connect',
      operation: 'connect-lookup',
      via: 'phone',
      requestId: contact.ContactId,
    });
  }
  return lookupAnswer(phone, result, { consoleUrl: connectorSetting('consoleUrl'), now });
}

async function lookupOrUnknown(phone: string): Promise<LookupResult | undefined> {
  try {
    return await lookupCustomer(customerStore(), { type: 'phone', value: phone });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

export const handler = middy<unknown, LookupAnswer, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event) => lookupConnectCaller(event));
