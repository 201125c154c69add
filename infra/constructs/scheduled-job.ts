import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, type Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from '../config/environment-settings.ts';
import { ProjectFunction } from './project-function.ts';

export interface ScheduledJobProps {
  settings: EnvironmentSettings;
  table: ITable;
  /** Its folder under `functions/`. */
  functionName: string;
  description: string;
  schedule: Schedule;
  timeout: Duration;
}

/**
 * A project function that EventBridge runs on a schedule, retried twice within six hours when an
 * invocation fails; the jobs are idempotent, so a retry or an overlapping run does no harm.
 */
export class ScheduledJob extends Construct {
  readonly function: ProjectFunction;
  readonly rule: Rule;
  readonly description: string;
  /** Its folder under `functions/` (the deployed name is CloudFormation's). */
  readonly functionName: string;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const { settings, table, functionName, description, schedule, timeout } = props;
    this.description = description;
    this.functionName = functionName;

    this.function = new ProjectFunction(this, 'Function', { functionName, settings, table, description, memorySize: 512, timeout });
    this.rule = new Rule(this, 'Schedule', {
      description: `Touchpoint API (${settings.envName}): ${description}`,
      schedule,
      targets: [new LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(6) })],
    });
  }
}
