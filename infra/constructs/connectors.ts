import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { CfnIntegrationAssociation } from 'aws-cdk-lib/aws-connect';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  type ConnectorSecret,
  connectLookupFunctionName,
  connectorSecretSettings,
  connectorVariables,
  secretsByFunction,
  sesFunctionName,
} from '../../shared/connectors/connector-config.ts';
import type { EnvironmentSettings } from '../config/environment-settings.ts';
import { ProjectFunction } from './project-function.ts';

export interface ConnectorsProps {
  settings: EnvironmentSettings;
  table: ITable;
  /** The route table's functions, connector webhooks among them. */
  functions: ReadonlyMap<string, LambdaFunction>;
}

const secretDescriptions: Record<ConnectorSecret, string> = {
  stripeWebhookSecret: "Stripe webhook endpoint's signing secret (whsec_...), from the Stripe Dashboard",
  twilioAuthToken: "Twilio account's auth token, which signs its webhooks (X-Twilio-Signature)",
  segmentWriteKey: 'Write key that Segment-compatible sources send (analytics.js, @segment/analytics-node)',
  ctiWebhookSecrets: 'CTI webhook secrets: a JSON object of system name to the HMAC secret that system signs with',
};

/**
 * What the connectors add to the API stack (docs/connectors.md): one Secrets Manager secret per
 * vendor credential, each resolved into the environment of the functions that verify that vendor
 * and no other (a CloudFormation dynamic reference, as the suppression key is: the functions need
 * no secretsmanager permission at run time); and, when an Amazon Connect instance is configured,
 * the live lookup function, invocable by that instance only and associated with it.
 */
export class Connectors extends Construct {
  readonly secrets: ReadonlyMap<ConnectorSecret, Secret>;
  readonly connectLookup: ProjectFunction | undefined;

  constructor(scope: Construct, id: string, props: ConnectorsProps) {
    super(scope, id);
    const { settings, table, functions } = props;

    this.secrets = new Map(
      connectorSecretSettings.map((name) => {
        const secret = new Secret(this, name, {
          description: `Touchpoint API (${settings.envName}): ${secretDescriptions[name]}`,
          removalPolicy: settings.removalPolicy,
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The vendor issues and rolls this credential (Stripe, Twilio) or the site owner does (write key): rotation happens there, then the value is put here.',
        });
        return [name, secret] as const;
      }),
    );
    for (const [functionName, secretNames] of Object.entries(secretsByFunction)) {
      const fn = functions.get(functionName);
      if (!fn) throw new Error(`No function ${functionName} in the route table for its connector secret.`);
      for (const name of secretNames) {
        fn.addEnvironment(connectorVariables[name], (this.secrets.get(name) as Secret).secretValue.unsafeUnwrap());
      }
    }

    // Topic ARNs are no secret: they come from context, and without one every SNS message is refused.
    if (settings.sesTopicArns.length > 0) {
      const ses = functions.get(sesFunctionName);
      if (!ses) throw new Error(`No function ${sesFunctionName} in the route table for the SES topic allow-list.`);
      ses.addEnvironment(connectorVariables.sesTopicArns, settings.sesTopicArns.join(','));
    }

    this.connectLookup = settings.connect && this.connectLookupFunction(settings, table, settings.connect);
  }

  private connectLookupFunction(settings: EnvironmentSettings, table: ITable, connect: NonNullable<EnvironmentSettings['connect']>): ProjectFunction {
    const fn = new ProjectFunction(this, connectLookupFunctionName, {
      functionName: connectLookupFunctionName,
      settings,
      table,
      description: 'Amazon Connect live lookup: the caller as a contact flow sees it',
      // Connect waits at most 8 s for a Lambda; a lookup that slow has failed anyway.
      timeout: Duration.seconds(8),
      environment: { CONNECT_INSTANCE_ARN: connect.instanceArn, CONSOLE_URL: connect.consoleUrl },
    });
    fn.addPermission('InvokedByConnect', {
      principal: new ServicePrincipal('connect.amazonaws.com'),
      sourceArn: connect.instanceArn,
      sourceAccount: Stack.of(this).account,
    });
    // Lists the function in the instance's flows ("Invoke AWS Lambda function" block).
    new CfnIntegrationAssociation(this, 'ConnectLookupAssociation', {
      instanceId: connect.instanceArn,
      integrationType: 'LAMBDA_FUNCTION',
      integrationArn: fn.functionArn,
    });
    return fn;
  }
}
