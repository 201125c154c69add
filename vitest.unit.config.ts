import { defineConfig } from 'vitest/config';

// The fast tier: pure logic only. No globalSetup, so no DynamoDB Local starts; a unit test that
// reaches for a table fails on the placeholder endpoint below instead of quietly waiting on one.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // It runs a whole vitest of its own in a child process: seconds of start-up, not pure logic.
    // `npm test` still runs it.
    exclude: ['test/unit/closing-line-reporter.test.ts'],
    reporters: ['default', './test/helpers/closing-line-reporter.ts'],
    // Modules read their configuration at import time, as a Lambda does at cold start.
    env: {
      TABLE_NAME: 'touchpoints-unit',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
      AWS_REGION: 'local',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_DEV: 'false',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
    // Pure logic keeps no state between files (spies are restored), so each worker imports zod,
    // the SDK and libphonenumber once instead of once per file: a quarter of the time. `npm test`
    // keeps isolation.
    isolate: false,
    maxWorkers: 2,
  },
});
