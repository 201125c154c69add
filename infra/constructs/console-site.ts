import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type CfnElement, DockerImage, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  FunctionCode,
  FunctionEventType,
  Function as CloudFrontFunction,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { contentSecurityPolicy } from '../../console/security-headers.ts';
import type { EnvironmentSettings } from '../config/environment-settings.ts';
import { projectRoot } from '../config/bundling.ts';

/** The console's sign-in when the stack verifies OIDC tokens: the issuer is the API's, the client the console's own. */
export interface ConsoleSignIn {
  clientId: string;
  /** Scopes the console asks for, space-separated. */
  scope: string;
}

export interface ConsoleSiteProps {
  settings: EnvironmentSettings;
  /** Served under /v1/* by the same distribution: the console and the API share one origin, no CORS. */
  api: IHttpApi;
  signIn?: ConsoleSignIn;
}

/** Where the console lives on the distribution; `/` and `/console` lead there. */
export const consolePrefix = 'console';

/**
 * The console's files at /console/ and the index for a directory: S3 with origin access control
 * answers keys, not directories (a viewer-request CloudFront Function, cheaper than Lambda@Edge).
 */
const directoryIndex = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '/${consolePrefix}') {
    var query = Object.keys(request.querystring).map(function (name) { return name + '=' + request.querystring[name].value; }).join('&');
    return { statusCode: 308, statusDescription: 'Permanent Redirect', headers: { location: { value: '/${consolePrefix}/' + (query ? '?' + query : '') } } };
  }
  if (uri.endsWith('/')) request.uri = uri + 'index.html';
  return request;
}`;

/**
 * The staff console as a static site: a private, encrypted S3 bucket read by CloudFront through
 * origin access control, the API behind the same distribution at /v1/*, security headers on every
 * answer, access logs, and the deployment's settings written as config.json at deploy time.
 */
export class ConsoleSite extends Construct {
  readonly bucket: Bucket;
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    const { settings } = props;
    const disposable = settings.removalPolicy === RemovalPolicy.DESTROY;

    // CloudFront standard logs are delivered with ACLs, so this bucket allows the log writer's.
    this.logBucket = new Bucket(this, 'Logs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: settings.removalPolicy,
    });
    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: settings.removalPolicy,
    });

    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Touchpoint console: the same headers as the local server (console/dev/serve-console.ts)',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(props.signIn ? settings.jwt?.issuer : undefined), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    // The API's host out of its endpoint URL (https://{id}.execute-api.{region}.amazonaws.com).
    const apiHost = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Touchpoint console (${settings.envName})`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        functionAssociations: [
          {
            eventType: FunctionEventType.VIEWER_REQUEST,
            function: new CloudFrontFunction(this, 'DirectoryIndex', { code: FunctionCode.fromInline(directoryIndex) }),
          },
        ],
      },
      additionalBehaviors: {
        '/v1/*': {
          origin: new HttpOrigin(apiHost, { protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY }),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          // Every answer is per credential: nothing is cached, every viewer header but Host goes on.
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    new BucketDeployment(this, 'Deploy', {
      sources: [
        Source.asset(join(projectRoot, 'console', 'src'), {
          bundling: {
            // Built here with the project's own esbuild; the image is only named because CDK requires one.
            image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
            local: {
              tryBundle(outputDir) {
                execFileSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'console', 'scripts', 'build.ts'), outputDir], {
                  stdio: 'inherit',
                  cwd: projectRoot,
                });
                return true;
              },
            },
          },
        }),
        Source.jsonData('config.json', consoleConfig(this.url, settings, props.signIn)),
      ],
      destinationBucket: this.bucket,
      destinationKeyPrefix: `${consolePrefix}/`,
      distribution: this.distribution,
      distributionPaths: [`/${consolePrefix}/*`],
      retainOnDelete: !disposable,
    });

    acknowledgeFindings(this);
  }
}

/** What console/src/config.ts reads: the API on this very origin, and the OIDC sign-in when there is one. */
export function consoleConfig(url: string, settings: EnvironmentSettings, signIn: ConsoleSignIn | undefined): Record<string, unknown> {
  return {
    apiBaseUrl: url,
    ...(settings.jwt && signIn
      ? { oidc: { issuer: settings.jwt.issuer, clientId: signIn.clientId, scope: signIn.scope, audience: settings.jwt.audience } }
      : {}),
  };
}

/** cdk-nag findings of the site, each acknowledged with its reason. */
function acknowledgeFindings(site: ConsoleSite): void {
  Validations.of(site.logBucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This is the access log bucket of the console bucket and distribution: a log bucket does not log itself.',
  });
  const edge = Validations.of(site.distribution);
  edge.acknowledge({
    id: 'AwsSolutions-CFR1',
    reason: 'Staff work from anywhere; access is by credential, which the API checks on every call, so no geo restriction.',
  });
  edge.acknowledge({
    id: 'AwsSolutions-CFR2',
    reason: 'Static files and an API with its own stage throttling and Lambda authorizer; a WAF web ACL can be attached per deployment.',
  });
  edge.acknowledge({
    id: 'AwsSolutions-CFR4',
    reason: 'The default *.cloudfront.net certificate allows TLS 1.0 at the edge; a custom domain with its own certificate sets TLSv1.2_2021.',
  });
  // BucketDeployment's provider is a singleton function at stack level that aws-cdk-lib owns.
  const stack = Stack.of(site);
  const provider = stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (!provider) return;
  const deployment = Validations.of(provider);
  const why = 'the aws-cdk-lib BucketDeployment provider that copies the console build into its bucket at deploy time';
  deployment.acknowledge({ id: 'AwsSolutions-L1', reason: `The runtime of ${why} is pinned by aws-cdk-lib, not by this project.` });
  deployment.acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: `The AWS-maintained basic execution policy only lets ${why} write its CloudWatch Logs.`,
  });
  for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*']) {
    deployment.acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: `The grants of ${why}: read the asset, replace the files.` });
  }
  for (const resource of [
    'arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
    `<${stack.getLogicalId(site.bucket.node.defaultChild as CfnElement)}.Arn>/*`,
  ]) {
    deployment.acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason: `Object wildcards of two buckets only, for ${why}.` });
  }
  deployment.acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: `cloudfront:CreateInvalidation takes no resource-level permission: ${why} invalidates /console/* after each deploy.`,
  });
}
