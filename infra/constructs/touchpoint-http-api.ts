import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, HttpRoute, HttpRouteKey, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { usesAuthorizer } from '../../shared/auth/access.ts';
import { authorizerFunctionName, notFoundFunctionName, routes } from '../../shared/http/routes.ts';
import type { EnvironmentSettings } from '../config/environment-settings.ts';

export interface TouchpointHttpApiProps {
  settings: EnvironmentSettings;
  /** One function per name of the route table, plus the not-found and authorizer functions. */
  functions: ReadonlyMap<string, IFunction>;
}

/**
 * The HTTP API (payload format 2.0): one route per entry of the route table, every route but the
 * public ones behind the Lambda authorizer, a `$default` route that answers everything else with a
 * problem-details 404, stage throttling, JSON access logs, and CORS only when origins are configured.
 */
export class TouchpointHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly authorizer: HttpLambdaAuthorizer;

  constructor(scope: Construct, id: string, props: TouchpointHttpApiProps) {
    super(scope, id);
    const { settings, functions } = props;

    this.api = new HttpApi(this, 'Api', {
      apiName: `touchpoint-api-${settings.envName}`,
      description: 'Touchpoint API: omnichannel customer touchpoints',
      // The stage is created below: the default one cannot take throttling or access logs.
      createDefaultStage: false,
      // No API-wide CORS configuration: API Gateway would answer every preflight itself and
      // override the CORS headers of the web route, which answers for each public key's origins.
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: settings.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });

    // REQUEST authorizer with simple responses (functions/authorize-request). The answer is cached
    // per credential and route, since the route decides which scope is needed; a request without
    // an Authorization header is refused by API Gateway (401) without invoking the function.
    this.authorizer = new HttpLambdaAuthorizer('Authorizer', requireFunction(functions, authorizerFunctionName), {
      authorizerName: 'touchpoint-authorizer',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization', '$context.routeKey'],
      resultsCacheTtl: Duration.seconds(settings.authorizerCacheSeconds),
    });

    // HTTP APIs have neither usage plans nor AWS WAF: the web route's public keys are held to a
    // route limit of their own, below the stage's, so a flood through them cannot starve the
    // systems posting with secret keys.
    const stage = this.stage.node.defaultChild as CfnStage;
    stage.routeSettings = Object.fromEntries(
      routes
        .filter((route) => route.access === 'public-key')
        .map((route) => [
          `${route.method} ${route.path}`,
          // RouteSettings is raw JSON to CloudFormation: its property names as CloudFormation spells them.
          { ThrottlingRateLimit: settings.webThrottle.rateLimit, ThrottlingBurstLimit: settings.webThrottle.burstLimit },
        ]),
    );

    for (const route of routes) {
      const fn = requireFunction(functions, route.functionName);
      const isPublic = !usesAuthorizer(route.access);
      // Construct ids cannot hold '/'.
      const httpRoute = new HttpRoute(this, `Route ${route.method} ${route.path.replaceAll('/', ' ')}`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${route.functionName}-integration`, fn),
        ...(!isPublic && { authorizer: this.authorizer }),
      });
      // A route setting names a route that must exist when the stage is deployed.
      if (route.access === 'public-key') stage.node.addDependency(httpRoute);
      if (isPublic) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            route.access === 'public'
              ? `${route.method} ${route.path} (${route.summary}) is public by design: the route table gives it access 'public'.`
              : route.access === 'connector'
                ? `${route.method} ${route.path} (${route.summary}) is a vendor's webhook: its handler verifies the sender with that connector's own secret before reading anything.`
                : `${route.method} ${route.path} (${route.summary}) checks the public key in its URL and the Origin itself (shared/auth/public-key.ts): a preflight carries no credential for an authorizer.`,
        });
      }
    }
    const defaultRoute = new HttpRoute(this, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration(`${notFoundFunctionName}-integration`, requireFunction(functions, notFoundFunctionName)),
    });
    Validations.of(defaultRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'The $default route only answers requests that match no route with a problem-details 404; it reads no data, so it needs no credential.',
    });
  }
}

/** One JSON object per request; `ip` is kept for abuse investigations and expires with the log group. */
const accessLogFields = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
  // Who called (the authorizer's context) and why the authorizer failed, if it did.
  clientId: '$context.authorizer.clientId',
  authorizerError: '$context.authorizer.error',
  userAgent: '$context.identity.userAgent',
};

function requireFunction(functions: ReadonlyMap<string, IFunction>, name: string): IFunction {
  const fn = functions.get(name);
  if (!fn) throw new Error(`No function named ${name} was created for the route table`);
  return fn;
}
