import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../console/security-headers.ts';
import { consoleConfig } from '../../infra/constructs/console-site.ts';
import { settingsFromContext } from '../../infra/config/environment-settings.ts';
import { createTouchpointStacks } from '../../infra/touchpoint-app.ts';
import { cdkJsonContext, customContext, logicalId, synth } from './synth-stacks.ts';

/** ConsoleStack: the staff console as a static site on S3 + CloudFront, the API on the same origin. */

/** CloudFront's managed policies, by their fixed ids. */
const cachingDisabled = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const allViewerExceptHostHeader = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

function consoleTemplate(): Template {
  return Template.fromStack(synth().console);
}

describe('console bucket', () => {
  it('is private, encrypted, TLS-only and logs its access', () => {
    const template = consoleTemplate();
    const { console: stack } = synth();
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack, stack.site.logBucket) }, LogFilePrefix: 's3/' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack, stack.site.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('is read by CloudFront through origin access control, for this distribution only', () => {
    const template = consoleTemplate();
    const { console: stack } = synth();
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack, stack.site.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
    // No origin access identity, no website endpoint: the bucket is never public.
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    expect(JSON.stringify(template.findResources('AWS::S3::Bucket'))).not.toContain('WebsiteConfiguration');
  });
});

describe('console distribution', () => {
  it('serves the files over HTTPS with the directory index function and security headers', () => {
    const template = consoleTemplate();
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          FunctionAssociations: [Match.objectLike({ EventType: 'viewer-request' })],
        }),
        Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: contentSecurityPolicy(), Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31_536_000 }),
        }),
      }),
    });
  });

  it('sends /v1/* to the API uncached, with every viewer header but Host (the credential goes along)', () => {
    const template = consoleTemplate();
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: [
          Match.objectLike({
            PathPattern: '/v1/*',
            ViewerProtocolPolicy: 'https-only',
            AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
            CachePolicyId: cachingDisabled,
            OriginRequestPolicyId: allViewerExceptHostHeader,
          }),
        ],
        Origins: Match.arrayWith([Match.objectLike({ CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }) })]),
      }),
    });
  });

  it('leads / and /console to /console/, keeping the query (a ?phone= screen pop)', () => {
    const [fn] = Object.values(consoleTemplate().findResources('AWS::CloudFront::Function'));
    const code = fn?.Properties.FunctionCode as string;
    const handler = new Function(`${code}; return handler;`)() as (event: unknown) => Record<string, unknown>;

    const redirect = handler({ request: { uri: '/console', querystring: { phone: { value: '020%207946%200018' } } } });
    expect(redirect).toMatchObject({ statusCode: 308, headers: { location: { value: '/console/?phone=020%207946%200018' } } });
    expect(handler({ request: { uri: '/', querystring: {} } })).toMatchObject({ headers: { location: { value: '/console/' } } });
    expect(handler({ request: { uri: '/console/', querystring: {} } })).toMatchObject({ uri: '/console/index.html' });
    expect(handler({ request: { uri: '/console/app.js', querystring: {} } })).toMatchObject({ uri: '/console/app.js' });
  });
});

describe('console deployment', () => {
  it('copies the build under console/ with a config.json naming the distribution as the API origin, and invalidates it', () => {
    const template = consoleTemplate();
    const { console: stack } = synth();
    const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    expect(deployment?.Properties).toMatchObject({
      DestinationBucketName: { Ref: logicalId(stack, stack.site.bucket) },
      DestinationBucketKeyPrefix: 'console/',
      DistributionPaths: ['/console/*'],
      Prune: true,
    });
    expect(deployment?.Properties.SourceObjectKeys).toHaveLength(2);
    // The jsonData source's deploy-time value: the distribution's domain name, resolved by CloudFormation.
    expect(JSON.stringify(deployment?.Properties.SourceMarkers)).toContain(logicalId(stack, stack.site.distribution));
  });

  it('writes no OIDC settings without a console client, and the issuer, client and audience with one', () => {
    const dev = settingsFromContext(new App({ context: { env: 'dev' } }).node);
    expect(consoleConfig('https://d1.cloudfront.net', dev, undefined)).toEqual({ apiBaseUrl: 'https://d1.cloudfront.net' });

    const withIssuer = settingsFromContext(new App({ context: customContext }).node);
    expect(consoleConfig('https://d1.cloudfront.net', withIssuer, { clientId: 'console-spa', scope: 'openid customers:read' })).toEqual({
      apiBaseUrl: 'https://d1.cloudfront.net',
      oidc: { issuer: 'https://login.example.com/', clientId: 'console-spa', scope: 'openid customers:read', audience: 'touchpoint-api' },
    });
  });

  it('lets the sign-in reach the issuer only when the console signs in with it', () => {
    const app = new App({
      context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...customContext, consoleClientId: 'console-spa' },
      builtinCloudFormationValidation: false,
    });
    const template = Template.fromStack(createTouchpointStacks(app).console);
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: contentSecurityPolicy('https://login.example.com/'), Override: true },
        }),
      }),
    });
    expect(contentSecurityPolicy('https://login.example.com/')).toContain("connect-src 'self' https://login.example.com");
  });

  it('bundles the console with the project esbuild, without the local config.json', () => {
    const app = new App({
      context: { ...cdkJsonContext, env: 'dev', 'aws:cdk:bundling-stacks': ['touchpoint-dev-console'] },
      builtinCloudFormationValidation: false,
    });
    createTouchpointStacks(app);
    const assembly = app.synth();
    const bundles = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.') && existsSync(join(assembly.directory, name, 'app.js')));
    expect(bundles).toHaveLength(1);
    expect(readdirSync(join(assembly.directory, bundles[0] as string)).sort()).toEqual(['app.css', 'app.js', 'index.html']);
  });
});
