import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * How every function is bundled and started, in esbuild's own terms and free of CDK, so that
 * ProjectFunction (what is deployed), the bench's Lambda table, infra/tools/measure-cold-start.ts
 * and the bundle budgets all build the same file: a cold start measured on another bundle would
 * measure something nobody deploys.
 */

export const projectRoot = join(import.meta.dirname, '..', '..');

/**
 * ESM output needs a `require` for the CommonJS dependencies esbuild inlines (aws-xray-sdk-core
 * under the Powertools tracer calls `require('http')` and friends).
 */
const esmRequireShim = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
const bundlingTarget = 'node22';

/**
 * Left out of the bundle although the rest of the AWS SDK is bundled: the credential providers the
 * SDK's default chain reaches only by a dynamic `import()` once the environment has no keys. A
 * Lambda always has them in the environment (`fromEnv` comes first in the chain), so these are
 * never loaded there, but bundled they were parsed at every cold start: 121 KiB with the SSO, STS
 * and sign-in clients behind them (`@aws-sdk/nested-clients`), 46 ms of ingest-touchpoint's 272 ms
 * init as deployed, on a loaded machine (docs/performance.md, "Cold init"). Should the chain ever
 * get that far, the import resolves to the Lambda runtime's own SDK, as every `@aws-sdk/*` module
 * does with `bundleAwsSdk` off. The IMDS provider stays bundled: it is small and `@smithy/*`.
 */
export const sdkModulesLeftToRuntime = [
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
];

/** Every function's NODE_OPTIONS: stack traces in logs point at the TypeScript (it costs init time, see docs/performance.md). */
export const functionNodeOptions = '--enable-source-maps';

/** The esbuild options of a deployed bundle (ProjectFunction maps them onto NodejsFunction's bundling props). */
export const bundlingOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: bundlingTarget,
  mainFields: ['module', 'main'],
  banner: { js: esmRequireShim },
  minify: true,
  sourcemap: true,
  // The map is for stack traces only; without embedded sources the asset stays small.
  sourcesContent: false,
  external: sdkModulesLeftToRuntime,
} satisfies BuildOptions;
