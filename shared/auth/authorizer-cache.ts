/**
 * How long API Gateway reuses an authorizer answer for the same Authorization header and route
 * key: the delay before a revoked API key is refused. One minute keeps revocation quick while
 * sparing the authorizer (and its DynamoDB read) almost every request of a busy client.
 * The CDK stack (context `authorizerCacheSeconds`, 0-3600) and the local adapter
 * (TOUCHPOINT_AUTHORIZER_CACHE_SECONDS) both default to it.
 */
export const defaultAuthorizerCacheSeconds = 60;
