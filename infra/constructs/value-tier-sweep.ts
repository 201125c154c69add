import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from '../config/environment-settings.ts';
import { ProjectFunction } from './project-function.ts';

export const retierFunctionName = 'retier-customers';

export interface ValueTierSweepProps {
  settings: EnvironmentSettings;
  table: ITable;
}

/**
 * Files customers who have gone quiet under the tier their recency now gives them, so that
 * `GET /v1/customers?tier=` lists who belongs there today (shared/domain/retier-customers.ts).
 * Daily, at a quiet hour; the function reads two days back, so one missed run loses nothing.
 */
export class ValueTierSweep extends Construct {
  readonly function: ProjectFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: ValueTierSweepProps) {
    super(scope, id);
    const { settings, table } = props;

    this.function = new ProjectFunction(this, 'Function', {
      functionName: retierFunctionName,
      settings,
      table,
      description: 'Daily: re-files customers whose recency score fell under the value tier it now gives',
      memorySize: 512,
      timeout: Duration.minutes(15),
    });

    this.schedule = new Rule(this, 'Daily', {
      description: `Touchpoint API (${settings.envName}) value tier sweep`,
      schedule: Schedule.cron({ hour: '3', minute: '17' }),
      targets: [new LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(6) })],
    });
  }
}
