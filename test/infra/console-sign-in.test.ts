import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createTouchpointStacks } from '../../infra/touchpoint-app.ts';
import { cdkJsonContext, customContext } from './synth-stacks.ts';

/**
 * The console's sign-in settings as a deployment writes them: the config.json that the
 * BucketDeployment copies beside the build, read from the synthesised cloud assembly itself.
 */
function deployedConfig(context: Record<string, unknown>): { config: Record<string, unknown>; markers: unknown } {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
  const { console: stack } = createTouchpointStacks(app);
  const assembly = app.synth();
  const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
  const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
  const keys = deployment?.Properties.SourceObjectKeys as string[];
  // The second source is Source.jsonData's: a folder asset holding config.json, its tokens as markers.
  const configAsset = `asset.${keys[1]?.replace(/\.zip$/, '')}`;
  return {
    config: JSON.parse(readFileSync(join(assembly.directory, configAsset, 'config.json'), 'utf8')),
    markers: deployment?.Properties.SourceMarkers[1],
  };
}

describe('the deployed console config.json', () => {
  it('names the API issuer, the console client, its scopes and the audience when the console signs in', () => {
    const { config, markers } = deployedConfig({ ...customContext, consoleClientId: 'console-spa', consoleScopes: 'openid customers:read' });

    expect(config).toEqual({
      apiBaseUrl: 'https://<<marker:0xbaba:0>>',
      oidc: { issuer: customContext.jwtIssuer, clientId: 'console-spa', scope: 'openid customers:read', audience: customContext.jwtAudience },
    });
    // The marker is the distribution's domain, filled in by CloudFormation at deploy time.
    expect(JSON.stringify(markers)).toContain('DomainName');
  });

  it('names no issuer without a console client: the console then takes API keys only', () => {
    expect(deployedConfig({ env: 'dev' }).config).toEqual({ apiBaseUrl: 'https://<<marker:0xbaba:0>>' });
  });

  it('refuses a console client without the API issuer', () => {
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], env: 'dev', consoleClientId: 'console-spa' } });
    expect(() => createTouchpointStacks(app)).toThrow(/consoleClientId needs jwtIssuer/);
  });
});
