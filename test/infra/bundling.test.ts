import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { sdkModulesLeftToRuntime } from '../../infra/config/bundling.ts';
import { settingsFromContext } from '../../infra/config/environment-settings.ts';
import { ProjectFunction } from '../../infra/constructs/project-function.ts';
import { cdkJsonContext } from './synth-stacks.ts';

/**
 * The one place that bundles for real (about a second): a single project function in a stack of
 * its own, with the local esbuild, as `cdk synth` does it. Every other infra test skips bundling.
 */
describe('project function bundling', () => {
  let assetDirectory: string;

  beforeAll(() => {
    // The CLI sets the asset metadata flag; it tells where the bundle was written.
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'BundlingProbe');
    new ProjectFunction(stack, 'PublishEvents', { functionName: 'publish-events', settings: settingsFromContext(app.node) });
    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    assetDirectory = join(app.outdir, fn?.Metadata['aws:asset:path'] as string);
  });

  it('emits one minified ESM file with an external source map', () => {
    const code = readFileSync(join(assetDirectory, 'index.mjs'), 'utf8');

    // Booleans and short slices only: a failing matcher must not print a megabyte of bundle.
    expect(existsSync(join(assetDirectory, 'index.mjs.map'))).toBe(true);
    expect(code.slice(0, 120)).toContain("import { createRequire as __createRequire } from 'node:module';");
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    // Minified: a few very long lines (the rest are template literals kept verbatim).
    expect(code.length / code.split('\n').length).toBeGreaterThan(2_000);
  });

  it('bundles the AWS SDK instead of importing it from the runtime', () => {
    const code = readFileSync(join(assetDirectory, 'index.mjs'), 'utf8');

    expect(/from\s*["']@aws-sdk\//.test(code)).toBe(false);
    expect(code.includes('"AWSEvents"')).toBe(true);
  });

  it('leaves out the credential providers a Lambda never reaches, and the STS and SSO clients behind them', () => {
    const code = readFileSync(join(assetDirectory, 'index.mjs'), 'utf8');
    // Only ever a dynamic import, run when the environment holds no keys: a static one would load them at init.
    const importedAtRun = sdkModulesLeftToRuntime.filter((name) => code.includes(`import("${name}")`));

    expect(importedAtRun).toEqual(sdkModulesLeftToRuntime);
    expect(code.includes('AssumeRoleWithWebIdentity')).toBe(false);
    expect(code.includes('GetRoleCredentials')).toBe(false);
  });

  it('loads in Node and exports the handler', async () => {
    process.env.EVENT_BUS_NAME ??= 'bundling-probe';
    const module = await import(pathToFileURL(join(assetDirectory, 'index.mjs')).href);

    expect(typeof module.handler).toBe('function');
  });
});
