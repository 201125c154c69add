/**
 * AWS list prices the benchmark's cost line uses: the one place to change them.
 *
 * Region us-east-1 (N. Virginia), on-demand, no free tier, no Savings Plans. Sources, read when this
 * file was written (November 2026; these figures have been unchanged since DynamoDB's on-demand
 * price cut of 1 November 2024). Check them before quoting a cost; eu-west-2 (London), the
 * project's default region, is a few per cent dearer for DynamoDB and API Gateway.
 * - API Gateway HTTP APIs: https://aws.amazon.com/api-gateway/pricing/ ($1.00 per million requests
 *   for the first 300 million a month; each 512 KB of a request counts as one request)
 * - Lambda: https://aws.amazon.com/lambda/pricing/ (Arm: $0.0000133334 per GB-second for the first
 *   7.5 billion GB-seconds a month; $0.20 per million requests; duration billed per 1 ms, rounded up)
 * - DynamoDB on-demand: https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per million
 *   write request units, $0.125 per million read request units, Standard table class)
 */
export const prices = {
  region: 'us-east-1',
  httpApiPerMillionRequests: 1.0,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
} as const;

/** Memory the cost line assumes for every function: the ProjectFunction default in infra/. */
export const lambdaMemoryMb = 1024;
