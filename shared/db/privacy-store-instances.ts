import { config } from '../config/config.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccessLogStore } from '../domain/access-log-store.ts';
import type { PrivacyStore } from '../domain/privacy-store.ts';
import { dynamoAccessLogStore } from './access-log-store.ts';
import { type ApiKeyStore, dynamoApiKeyStore } from './api-key-store.ts';
import { createDocumentClient, documentClient } from './client.ts';
import { dynamoPrivacyStore } from './privacy-store.ts';
import { dynamoRateLimitStore, type RateLimitStore } from './rate-limit-store.ts';

let privacy: PrivacyStore | undefined;
let apiKeys: ApiKeyStore | undefined;
let rateLimits: RateLimitStore | undefined;
let accessLog: AccessLogStore | undefined;
let authorizerKeys: ApiKeyStore | undefined;
let sharedAuditClient: DynamoDBDocumentClient | undefined;

/** The stores of the access and privacy routes: built on first use, reused for the process. */
export function privacyStore(): PrivacyStore {
  privacy ??= dynamoPrivacyStore(documentClient(), config().TABLE_NAME);
  return privacy;
}

export function apiKeyStore(): ApiKeyStore {
  apiKeys ??= dynamoApiKeyStore(documentClient(), config().TABLE_NAME);
  return apiKeys;
}

export function rateLimitStore(): RateLimitStore {
  rateLimits ??= dynamoRateLimitStore(documentClient(), config().TABLE_NAME);
  return rateLimits;
}

/**
 * The authorizer's key store has a client of its own: in AWS the authorizer is a separate Lambda;
 * locally (the adapter runs it in-process) its calls are API Gateway's, not the route's.
 */
export function authorizerApiKeyStore(): ApiKeyStore {
  authorizerKeys ??= dynamoApiKeyStore(
    createDocumentClient({
      region: config().AWS_REGION,
      ...(config().DYNAMODB_ENDPOINT ? { endpoint: config().DYNAMODB_ENDPOINT } : {}),
    }),
    config().TABLE_NAME,
  );
  return authorizerKeys;
}

/**
 * The access log writes through a client of its own: its calls are the audit's, kept apart from
 * the read's own calls (which the round-trip budget tests count) and from fault injection.
 */
export function accessLogStore(): AccessLogStore {
  accessLog ??= dynamoAccessLogStore(auditClient(), config().TABLE_NAME);
  return accessLog;
}

export function auditClient(): DynamoDBDocumentClient {
  sharedAuditClient ??= createDocumentClient({
    region: config().AWS_REGION,
    ...(config().DYNAMODB_ENDPOINT ? { endpoint: config().DYNAMODB_ENDPOINT } : {}),
  });
  return sharedAuditClient;
}
