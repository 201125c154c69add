import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/per-file-setup.ts'],
    // A fresh process per file spent a minute of a 2-core run importing the AWS SDK, zod and
    // friends again for each file. The workers are reused instead; per-file-setup gives every file
    // fresh project modules and the worker's first environment, so files still cannot see each other.
    isolate: false,
    reporters: ['default', './test/helpers/contract-reporter.ts', './test/helpers/closing-line-reporter.ts'],
    // Two cores: DynamoDB Local (Java) needs one of them.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
