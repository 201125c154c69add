import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { finishInterruptedMerges, type InterruptedMergesReport } from '../../shared/domain/merge-customers.ts';
import { logger } from '../../shared/observability/logger.ts';

export async function finishInterruptedMergesOnSchedule(): Promise<InterruptedMergesReport> {
  const report = await finishInterruptedMerges(customerStore(), new Date());
  if (report.finished.length > 0) logger.info('Finished merges and undos that were cut short', { mergeIds: report.finished });
  if (report.failed.length > 0) {
    // Failing the invocation is what raises the alarm; the next run tries these merges again.
    throw new Error(`Could not finish ${report.failed.length} interrupted merge(s) or undo(s): ${JSON.stringify(report.failed)}`);
  }
  return report;
}

export const handler = middy<Partial<ScheduledEvent>, InterruptedMergesReport>().use(injectLambdaContext(logger)).handler(finishInterruptedMergesOnSchedule);
