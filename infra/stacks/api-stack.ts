import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { authorizerFunctionName, functionNames, routes } from '../../shared/http/routes.ts';
import type { EnvironmentSettings } from '../config/environment-settings.ts';
import { connectEventsFunctionName, connectLookupFunctionName, connectRecordsFunctionName } from '../../shared/connectors/connector-config.ts';
import { Connectors } from '../constructs/connectors.ts';
import { EventPublisher, publishEventsFunctionName } from '../constructs/event-publisher.ts';
import { Monitoring } from '../constructs/monitoring.ts';
import { ProjectFunction } from '../constructs/project-function.ts';
import { TouchpointHttpApi } from '../constructs/touchpoint-http-api.ts';
import { ScheduledJob } from '../constructs/scheduled-job.ts';

export interface ApiStackProps extends StackProps {
  settings: EnvironmentSettings;
  /** The DataStack's table; it must have a NEW_AND_OLD_IMAGES stream. */
  table: ITable;
  /** The DataStack's HMAC key of the erasure suppression list. */
  suppressionSecret: ISecret;
}

/**
 * The stateless half: every function of the route table behind the HTTP API and its authorizer,
 * the event publisher on the table stream, alarms and the dashboard. Safe to destroy and
 * redeploy at any time.
 */
export class ApiStack extends Stack {
  readonly functions: ReadonlyMap<string, ProjectFunction>;
  readonly httpApi: TouchpointHttpApi;
  readonly events: EventPublisher;
  /** Refiles customers who went quiet under the tier they have now (shared/domain/retier-customers.ts). */
  readonly tierSweep: ScheduledJob;
  /** Finishes merges cut short that no touchpoint came back to (finishInterruptedMerges). */
  readonly mergeRepair: ScheduledJob;
  readonly monitoring: Monitoring;
  /** Connector secrets and the Amazon Connect live lookup (docs/connectors.md). */
  readonly connectors: Connectors;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { settings, table } = props;
    const routeFunctions = new Set<string>(routes.map((route) => route.functionName));

    this.functions = new Map(
      functionNames.map((name) => [
        name,
        new ProjectFunction(this, name, {
          functionName: name,
          settings,
          table,
          ...(name === authorizerFunctionName ? { tableAccess: 'read', environment: jwtEnvironment(settings), memorySize: 512 } : {}),
          ...(routeFunctions.has(name) && {
            // A CloudFormation dynamic reference: resolved at deploy time, never in the template.
            environment: { SUPPRESSION_HMAC_SECRET: props.suppressionSecret.secretValue.unsafeUnwrap() },
          }),
        }),
      ]),
    );
    this.httpApi = new TouchpointHttpApi(this, 'HttpApi', { settings, functions: this.functions });
    this.connectors = new Connectors(this, 'Connectors', { settings, table, functions: this.functions });
    this.events = new EventPublisher(this, 'Events', { settings, table });
    this.tierSweep = new ScheduledJob(this, 'TierSweep', {
      settings,
      table,
      functionName: 'retier-customers',
      description: 'daily value tier sweep',
      // A quiet hour; the function reads two days back, so one missed run loses nothing.
      schedule: Schedule.cron({ hour: '3', minute: '17' }),
      timeout: Duration.minutes(15),
    });
    this.mergeRepair = new ScheduledJob(this, 'MergeRepair', {
      settings,
      table,
      functionName: 'finish-interrupted-merges',
      description: 'finishes merges cut short',
      schedule: Schedule.rate(Duration.minutes(5)),
      timeout: Duration.minutes(5),
    });
    const scheduledJobs = [this.tierSweep, this.mergeRepair];
    this.monitoring = new Monitoring(this, 'Monitoring', {
      settings,
      api: this.httpApi.api,
      table,
      functions: new Map([
        ...this.functions,
        [publishEventsFunctionName, this.events.function],
        ...scheduledJobs.map((job) => [job.functionName, job.function] as const),
        ...(this.connectors.connectLookup ? [[connectLookupFunctionName, this.connectors.connectLookup] as const] : []),
        ...(this.connectors.connectRecords ? [[connectRecordsFunctionName, this.connectors.connectRecords] as const] : []),
        ...(this.connectors.connectEvents ? [[connectEventsFunctionName, this.connectors.connectEvents] as const] : []),
      ]),
      authorizer: this.functionNamed(authorizerFunctionName),
      publisher: this.events.function,
      deadLetterQueue: this.events.deadLetterQueue,
      scheduledJobs,
    });
    this.connectors.notifyAlarms(this.monitoring.topic);

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.api.apiEndpoint });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.events.deadLetterQueue.queueUrl });
  }

  /** The Lambda of one function of the route table (each is made once, above). */
  private functionNamed(name: string): ProjectFunction {
    const made = this.functions.get(name);
    if (!made) throw new Error(`No function ${name} in the route table.`);
    return made;
  }
}

/** What shared/auth/auth-config.ts reads; without an issuer the authorizer accepts API keys only. */
function jwtEnvironment(settings: EnvironmentSettings): Record<string, string> {
  const { jwt } = settings;
  if (!jwt) return {};
  return {
    JWT_ISSUER: jwt.issuer,
    JWT_AUDIENCE: jwt.audience,
    ...(jwt.jwksUrl && { JWT_JWKS_URL: jwt.jwksUrl }),
  };
}
