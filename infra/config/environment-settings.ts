import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { defaultAuthorizerCacheSeconds } from '../../shared/auth/authorizer-cache.ts';
import { parseTrackEvents } from '../../shared/connectors/segment/track-events.ts';

export const environmentNames = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof environmentNames)[number];

/** Everything that differs between environments, resolved once from CDK context. */
export interface EnvironmentSettings {
  envName: EnvironmentName;
  /** Applied to the table, its key, log groups and the dead-letter queue. */
  removalPolicy: RemovalPolicy;
  deletionProtection: boolean;
  logRetention: RetentionDays;
  /** Alarms exist in every environment (the dashboard shows them); only these notify. */
  alarmActionsEnabled: boolean;
  throttle: { rateLimit: number; burstLimit: number };
  /**
   * The web route's own, lower limit (requests per second for the whole route, across every site):
   * its keys are public, so whoever reads a page can call it; the stage limit stays for the rest.
   */
  webThrottle: { rateLimit: number; burstLimit: number };
  tableKmsKey: boolean;
  eventsIncludePersonalData: boolean;
  defaultPhoneRegion: string;
  alarmEmail: string | undefined;
  /** How long API Gateway reuses an authorizer answer: a revoked API key keeps working that long. */
  authorizerCacheSeconds: number;
  /** OIDC token verification in the authorizer; API keys only when undefined. */
  jwt: { issuer: string; audience: string; jwksUrl: string | undefined } | undefined;
  /** The Amazon Connect instance whose contact flows call the live lookup, and the console it screen-pops; no lookup function when undefined. */
  connect: { instanceArn: string; consoleUrl: string } | undefined;
  /** The Kinesis data stream Amazon Connect exports contact trace records to; no records consumer when undefined. */
  connectRecordsStreamArn: string | undefined;
  /** Segment track events mapped to touchpoints (docs/connectors.md), as checked JSON; none mapped when undefined. */
  segmentTrackEvents: string | undefined;
  /** The SNS topics whose SES notifications the SES connector accepts; it refuses every message when empty. */
  sesTopicArns: string[];
  /** How often Lambda retries a failing stream batch before it goes to the dead-letter queue. */
  streamRetryAttempts: number;
  alarmThresholds: {
    serverErrorRatePercent: number;
    latencyP99Ms: number;
    authorizerDenialsPer5Minutes: number;
    publisherIteratorAgeMs: number;
  };
}

type EnvironmentDefaults = Omit<
  EnvironmentSettings,
  | 'envName'
  | 'tableKmsKey'
  | 'eventsIncludePersonalData'
  | 'defaultPhoneRegion'
  | 'alarmEmail'
  | 'authorizerCacheSeconds'
  | 'jwt'
  | 'connect'
  | 'connectRecordsStreamArn'
  | 'segmentTrackEvents'
  | 'sesTopicArns'
>;

const defaultsByEnvironment: Record<EnvironmentName, EnvironmentDefaults> = {
  dev: {
    // A developer's stack holds test data only: let `cdk destroy` remove it.
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    logRetention: RetentionDays.ONE_WEEK,
    alarmActionsEnabled: false,
    throttle: { rateLimit: 50, burstLimit: 100 },
    webThrottle: { rateLimit: 10, burstLimit: 20 },
    streamRetryAttempts: 3,
    alarmThresholds: {
      serverErrorRatePercent: 5,
      latencyP99Ms: 2_000,
      authorizerDenialsPer5Minutes: 100,
      publisherIteratorAgeMs: 15 * 60_000,
    },
  },
  prod: {
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    logRetention: RetentionDays.THREE_MONTHS,
    alarmActionsEnabled: true,
    throttle: { rateLimit: 500, burstLimit: 1_000 },
    webThrottle: { rateLimit: 100, burstLimit: 200 },
    streamRetryAttempts: 10,
    alarmThresholds: {
      serverErrorRatePercent: 1,
      latencyP99Ms: 1_000,
      authorizerDenialsPer5Minutes: 50,
      publisherIteratorAgeMs: 5 * 60_000,
    },
  },
};

/**
 * Reads the context flags (see the README, Infrastructure). Values from `--context` arrive as
 * strings and values from cdk.json as JSON types, so both spellings are accepted; anything else
 * fails the synth rather than silently falling back to a default.
 */
export function settingsFromContext(node: Node): EnvironmentSettings {
  const envName = readEnvironmentName(node.tryGetContext('env'));
  if (node.tryGetContext('corsOrigins') !== undefined) {
    // API Gateway's one CORS configuration would answer every preflight itself and override the
    // web route's per-key CORS: origins now belong to each public key (docs/web-snippet.md).
    throw new Error('Context corsOrigins is no longer read: give each public key its allowedOrigins instead (see docs/web-snippet.md)');
  }
  const defaults = defaultsByEnvironment[envName];
  return {
    envName,
    ...defaults,
    throttle: {
      rateLimit: readPositiveNumber(node, 'throttleRateLimit') ?? defaults.throttle.rateLimit,
      burstLimit: readPositiveNumber(node, 'throttleBurstLimit') ?? defaults.throttle.burstLimit,
    },
    webThrottle: {
      rateLimit: readPositiveNumber(node, 'webThrottleRateLimit') ?? defaults.webThrottle.rateLimit,
      burstLimit: readPositiveNumber(node, 'webThrottleBurstLimit') ?? defaults.webThrottle.burstLimit,
    },
    tableKmsKey: readBoolean(node, 'tableKmsKey') ?? false,
    eventsIncludePersonalData: readBoolean(node, 'eventsIncludePersonalData') ?? false,
    defaultPhoneRegion: readPhoneRegion(node),
    alarmEmail: readString(node, 'alarmEmail'),
    authorizerCacheSeconds: readAuthorizerCacheSeconds(node),
    jwt: readJwt(node),
    connect: readConnect(node),
    connectRecordsStreamArn: readConnectRecordsStream(node),
    segmentTrackEvents: readSegmentTrackEvents(node),
    sesTopicArns: readSesTopicArns(node),
  };
}

function readConnect(node: Node): EnvironmentSettings['connect'] {
  const instanceArn = readString(node, 'connectInstanceArn');
  const consoleUrl = readString(node, 'consoleUrl');
  if (!instanceArn) return undefined;
  if (!/^arn:aws[\w-]*:connect:[\w-]+:\d{12}:instance\/[\w-]+$/.test(instanceArn)) {
    throw new Error(`Context connectInstanceArn must be an Amazon Connect instance ARN; got ${instanceArn}`);
  }
  // The screen pop is half of what the lookup is for: a lookup without it is a misconfiguration.
  if (!consoleUrl || !/^https:\/\//.test(consoleUrl)) throw new Error('Context connectInstanceArn needs consoleUrl, an https URL of the console');
  return { instanceArn, consoleUrl };
}

function readConnectRecordsStream(node: Node): string | undefined {
  const streamArn = readString(node, 'connectRecordsStreamArn');
  if (streamArn && !/^arn:aws[\w-]*:kinesis:[\w-]+:\d{12}:stream\/[\w.-]+$/.test(streamArn)) {
    throw new Error(`Context connectRecordsStreamArn must be a Kinesis data stream ARN; got ${streamArn}`);
  }
  return streamArn;
}

/** Checked here with the function's own schema, so a bad mapping fails the synth rather than the function's cold start. */
function readSegmentTrackEvents(node: Node): string | undefined {
  const value: unknown = node.tryGetContext('segmentTrackEvents');
  if (value === undefined) return undefined;
  return JSON.stringify(parseTrackEvents(typeof value === 'string' ? value : JSON.stringify(value)));
}

function readSesTopicArns(node: Node): string[] {
  const arns = (readString(node, 'sesTopicArns') ?? '')
    .split(',')
    .map((arn) => arn.trim())
    .filter((arn) => arn !== '');
  for (const arn of arns) {
    if (!/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/.test(arn)) throw new Error(`Context sesTopicArns must be SNS topic ARNs separated by commas; got ${arn}`);
  }
  return arns;
}

function readAuthorizerCacheSeconds(node: Node): number {
  const value: unknown = node.tryGetContext('authorizerCacheSeconds');
  if (value === undefined) return defaultAuthorizerCacheSeconds;
  const seconds = Number(value);
  // API Gateway's limits for a Lambda authorizer's result cache.
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
    throw new Error(`Context authorizerCacheSeconds must be a whole number from 0 to 3600; got ${JSON.stringify(value)}`);
  }
  return seconds;
}

function readJwt(node: Node): EnvironmentSettings['jwt'] {
  const issuer = readString(node, 'jwtIssuer');
  const audience = readString(node, 'jwtAudience');
  const jwksUrl = readString(node, 'jwtJwksUrl');
  if (!issuer) {
    if (audience || jwksUrl) throw new Error('Context jwtAudience and jwtJwksUrl need jwtIssuer');
    return undefined;
  }
  // The authorizer refuses an issuer without an audience too: a token for another API must not pass.
  if (!audience) throw new Error('Context jwtIssuer needs jwtAudience');
  return { issuer, audience, jwksUrl };
}

function readEnvironmentName(value: unknown): EnvironmentName {
  if (value === undefined) return 'dev';
  if (typeof value === 'string' && (environmentNames as readonly string[]).includes(value)) {
    return value as EnvironmentName;
  }
  throw new Error(`Context env must be one of ${environmentNames.join(', ')}; got ${JSON.stringify(value)}`);
}

function readBoolean(node: Node, key: string): boolean | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context ${key} must be true or false; got ${JSON.stringify(value)}`);
}

function readPositiveNumber(node: Node, key: string): number | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new Error(`Context ${key} must be a positive number; got ${JSON.stringify(value)}`);
  }
  return number;
}

function readString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a string; got ${JSON.stringify(value)}`);
  return value;
}

function readPhoneRegion(node: Node): string {
  const region = readString(node, 'defaultPhoneRegion') ?? 'GB';
  if (!/^[A-Z]{2}$/.test(region)) {
    throw new Error(`Context defaultPhoneRegion must be an ISO 3166-1 alpha-2 code such as GB; got ${region}`);
  }
  return region;
}
