import type { Reporter, TestModule } from 'vitest/node';

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts a run so that it cannot read green when anything broke: every failed test, and every
 * error outside a test (a failed beforeAll/afterAll, a file that failed to load) once per file or
 * suite that holds it, since the tests such an error stops are reported as skipped, not failed.
 */
export function countRun(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): RunCounts {
  const counts: RunCounts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
  for (const testModule of testModules) {
    for (const testCase of testModule.children.allTests()) {
      const state = testCase.result().state;
      if (state === 'passed') counts.passed += 1;
      else if (state === 'failed') counts.failed += 1;
      else counts.skipped += 1;
    }
    for (const holder of [testModule, ...testModule.children.allSuites()]) {
      if (holder.errors().length > 0) counts.failed += 1;
    }
    // A file that failed without a recorded error (killed worker, say) still fails the run.
    if (testModule.state() === 'failed' && testModule.errors().length === 0 && testModule.ok()) counts.failed += 1;
  }
  return counts;
}

/** Prints the plain `N passed, N failed` line that CI reads (it does not read vitest's own summary). */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const { passed, failed, skipped } = countRun(testModules, unhandledErrors);
    const skippedPart = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${skippedPart}\n`);
  }
}
