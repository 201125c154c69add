import type { Reporter, TestModule } from 'vitest/node';

/** Answers held to the OpenAPI document in a run (test/helpers/contract.ts counts them per test and per file). */
export function validatedResponsesOf(testModules: ReadonlyArray<TestModule>): number {
  let total = 0;
  for (const testModule of testModules) {
    for (const task of [testModule, ...testModule.children.allSuites(), ...testModule.children.allTests()]) {
      total += task.meta().validatedResponses ?? 0;
    }
  }
  return total;
}

/** Prints the figure the closing note quotes, on a line of its own before the closing line. */
export default class ContractReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    process.stdout.write(`\n${validatedResponsesOf(testModules)} responses validated against the OpenAPI document\n`);
  }
}
