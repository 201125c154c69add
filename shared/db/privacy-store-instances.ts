import { config } from '../config/config.ts';
import { type ApiKeyStore, dynamoApiKeyStore } from './api-key-store.ts';
import { documentClient } from './client.ts';
import { dynamoPrivacyStore, type PrivacyStore } from './privacy-store.ts';
import { dynamoRateLimitStore, type RateLimitStore } from './rate-limit-store.ts';

let privacy: PrivacyStore | undefined;
let apiKeys: ApiKeyStore | undefined;
let rateLimits: RateLimitStore | undefined;

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
