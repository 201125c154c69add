import * as z from '../schemas/zod.ts';
import { HttpProblemError, problem } from '../http/problems.ts';

/** A CTI system's name, as it appears in its webhook's path. */
export const ctiSystemPattern = /^[a-z0-9][a-z0-9-]{0,39}$/;

function isSecretMap(raw: string): boolean {
  try {
    const map: unknown = JSON.parse(raw);
    return (
      typeof map === 'object' &&
      map !== null &&
      !Array.isArray(map) &&
      Object.entries(map).length > 0 &&
      Object.entries(map).every(([system, secret]) => ctiSystemPattern.test(system) && typeof secret === 'string' && secret.length >= 16)
    );
  } catch {
    return false;
  }
}

/**
 * The connectors' settings, read from the environment once per cold start. In AWS each secret is
 * that connector's own Secrets Manager secret, resolved into its function alone at deploy time
 * (infra/constructs/connectors.ts); locally they come from the environment. A connector whose
 * setting is missing answers 503 (connector-not-configured) instead of accepting unverified senders.
 */
const settings = {
  consoleUrl: z.url({ protocol: /^https?$/ }),
  connectInstanceArn: z.string().check(z.regex(/^arn:aws[\w-]*:connect:[\w-]+:\d{12}:instance\/[\w-]+$/, 'must be an Amazon Connect instance ARN')),
  stripeWebhookSecret: z.string().check(z.minLength(16)),
  twilioAuthToken: z.string().check(z.minLength(16)),
  segmentWriteKey: z.string().check(z.minLength(16)),
  sesTopicArns: z
    .string()
    .check(z.regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+(,arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+)*$/, 'must be SNS topic ARNs, separated by commas')),
  ctiWebhookSecrets: z.string().check(z.refine(isSecretMap, 'must be a JSON object of system names (a-z, 0-9, -) to secrets of 16 characters or more')),
};

export type ConnectorSetting = keyof typeof settings;

/** The environment variable of each setting. */
export const connectorVariables: Record<ConnectorSetting, string> = {
  consoleUrl: 'CONSOLE_URL',
  connectInstanceArn: 'CONNECT_INSTANCE_ARN',
  stripeWebhookSecret: 'STRIPE_WEBHOOK_SECRET',
  twilioAuthToken: 'TWILIO_AUTH_TOKEN',
  segmentWriteKey: 'SEGMENT_WRITE_KEY',
  sesTopicArns: 'SES_TOPIC_ARNS',
  ctiWebhookSecrets: 'CTI_WEBHOOK_SECRETS',
};

/** Long enough for an operator to put a secret in place; vendors back off further on their own. */
const notConfiguredRetrySeconds = 300;

const cache = new Map<ConnectorSetting, string>();

export function connectorSetting(name: ConnectorSetting): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const variable = connectorVariables[name];
  const parsed = settings[name].safeParse(process.env[variable]);
  if (!parsed.success) {
    // The operator's fault, not the sender's: a 503 makes every vendor retry (Stripe, SNS, Twilio,
    // Segment all do) until the stack is set up, and the API's 5xx alarm tells the operator.
    throw new HttpProblemError(
      problem(
        503,
        'connector-not-configured',
        'Connector not configured',
        `This connector is not set up on this stack (${variable} ${parsed.error.issues.map((issue) => issue.message).join('; ')}): nothing was recorded.`,
      ),
      { 'retry-after': String(notConfiguredRetrySeconds) },
    );
  }
  cache.set(name, parsed.data);
  return parsed.data;
}

/** The secrets of the webhook connectors: one per vendor credential, kept in Secrets Manager in AWS. */
export const connectorSecretSettings = [
  'stripeWebhookSecret',
  'twilioAuthToken',
  'segmentWriteKey',
  'ctiWebhookSecrets',
] as const satisfies readonly ConnectorSetting[];
export type ConnectorSecret = (typeof connectorSecretSettings)[number];

/** Which function reads which secret: each is given its own and no other. */
export const secretsByFunction: Readonly<Record<string, readonly ConnectorSecret[]>> = {
  'receive-stripe-webhook': ['stripeWebhookSecret'],
  'receive-twilio-call-status': ['twilioAuthToken'],
  'receive-twilio-sms': ['twilioAuthToken'],
  'receive-segment-events': ['segmentWriteKey'],
  'receive-cti-webhook': ['ctiWebhookSecrets'],
};

/** The SES notifications webhook, whose SNS topic allow-list is set from the stack's context. */
export const sesFunctionName = 'receive-ses-notification';

/** The Connect live lookup: a Lambda a contact flow invokes, not an HTTP route. */
export const connectLookupFunctionName = 'lookup-connect-caller';

/** The Amazon Connect contact consumers: Lambdas fed by Kinesis (contact records) and EventBridge (contact events), not HTTP routes. */
export const connectRecordsFunctionName = 'receive-connect-records';
export const connectEventsFunctionName = 'receive-connect-events';
