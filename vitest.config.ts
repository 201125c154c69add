import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/per-file-setup.ts'],
    reporters: ['default', './test/helpers/contract-reporter.ts', './test/helpers/closing-line-reporter.ts'],
    // Two cores: DynamoDB Local (Java) needs one of them.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
