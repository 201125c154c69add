import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import * as z from '../../shared/schemas/zod.ts';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { type RetieringReport, retierCustomers } from '../../shared/domain/retier-customers.ts';
import { logger } from '../../shared/observability/logger.ts';

/** Two days for a daily schedule: a run that fails or is skipped is caught up by the next one. */
const defaultLookbackDays = 2;

/** The schedule's event, or a manual invocation `{ "lookbackDays": 30 }` to catch up after a longer gap. */
const retieringEventSchema = z.object({
  time: z.optional(z.iso.datetime({ offset: true })),
  lookbackDays: z._default(z.number().check(z.int(), z.gte(1), z.lte(366)), defaultLookbackDays),
});

export async function retierOnSchedule(event: Partial<ScheduledEvent> & { lookbackDays?: number }): Promise<RetieringReport> {
  const { time, lookbackDays } = retieringEventSchema.parse({ time: event.time, lookbackDays: event.lookbackDays });
  const report = await retierCustomers(customerStore(), time ? new Date(time) : new Date(), lookbackDays);
  logger.info('Value tiers swept', { ...report, lookbackDays });
  return report;
}

export const handler = middy<Partial<ScheduledEvent> & { lookbackDays?: number }, RetieringReport>().use(injectLambdaContext(logger)).handler(retierOnSchedule);
