import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createTouchpointStacks } from '../../infra/touchpoint-app.ts';
import { cdkJsonContext, logicalId, synth } from '../infra/synth-stacks.ts';

const topics = ['arn:aws:sns:eu-west-2:111122223333:ses-notifications', 'arn:aws:sns:eu-west-1:111122223333:ses-inbound'];

function appWith(context: Record<string, unknown>) {
  return new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], env: 'dev', ...context }, builtinCloudFormationValidation: false });
}

function variablesOf(template: Template, functionName: string): Record<string, unknown> {
  const [resource] = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { Description: `Touchpoint API ${functionName}` } }),
  ) as Array<{
    Properties: { Environment: { Variables: Record<string, unknown> } };
  }>;
  if (!resource) throw new Error(`No function ${functionName} in the template`);
  return resource.Properties.Environment.Variables;
}

describe('SES and CTI connectors in the CDK app', () => {
  it('routes both webhooks without the API key authorizer', () => {
    const { apiTemplate } = synth();

    for (const routeKey of ['POST /v1/connectors/ses', 'POST /v1/connectors/cti/{system}']) {
      apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'NONE' });
    }
  });

  it('gives the CTI function its secret map from Secrets Manager, and the SES function no connector secret', () => {
    const synthesized = synth();
    const ctiSecret = synthesized.api.connectors.secrets.get('ctiWebhookSecrets');
    expect(ctiSecret).toBeDefined();

    const cti = variablesOf(synthesized.apiTemplate, 'receive-cti-webhook');
    const ses = variablesOf(synthesized.apiTemplate, 'receive-ses-notification');

    expect(JSON.stringify(cti.CTI_WEBHOOK_SECRETS)).toContain(logicalId(synthesized.api, ctiSecret as NonNullable<typeof ctiSecret>));
    expect(JSON.stringify(cti.CTI_WEBHOOK_SECRETS)).toContain('resolve:secretsmanager');
    for (const secret of synthesized.api.connectors.secrets.values()) expect(JSON.stringify(ses)).not.toContain(logicalId(synthesized.api, secret));
    expect(variablesOf(synthesized.apiTemplate, 'receive-stripe-webhook').CTI_WEBHOOK_SECRETS).toBeUndefined();
  });

  it('sets the SES topic allow-list from context on the SES function only, and leaves it unset (every message refused) without one', () => {
    const withTopics = Template.fromStack(createTouchpointStacks(appWith({ sesTopicArns: topics.join(',') })).api);

    expect(variablesOf(withTopics, 'receive-ses-notification').SES_TOPIC_ARNS).toBe(topics.join(','));
    expect(variablesOf(withTopics, 'receive-cti-webhook').SES_TOPIC_ARNS).toBeUndefined();
    expect(variablesOf(synth().apiTemplate, 'receive-ses-notification').SES_TOPIC_ARNS).toBeUndefined();
  });

  it('refuses a topic allow-list naming something other than SNS topic ARNs', () => {
    expect(() => createTouchpointStacks(appWith({ sesTopicArns: `${topics[0]},arn:aws:sqs:eu-west-2:111122223333:queue` }))).toThrow(/sesTopicArns/);
  });
});
