import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { skipsAuthorizer } from '../../shared/auth/access.ts';
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
      // An HTTP API has a single CORS configuration. It exists for the browser snippet posting
      // web visits, so it is only set up when origins are configured; API Gateway then answers
      // preflight requests itself and overrides CORS headers returned by the functions.
      ...(settings.corsOrigins.length > 0 && {
        corsPreflight: {
          allowOrigins: settings.corsOrigins,
          allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
          allowHeaders: ['content-type', 'authorization', 'x-api-key', 'idempotency-key'],
          maxAge: Duration.hours(1),
        },
      }),
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

    for (const route of routes) {
      const fn = requireFunction(functions, route.functionName);
      const isPublic = skipsAuthorizer(route.access);
      // Construct ids cannot hold '/'.
      const httpRoute = new HttpRoute(this, `Route ${route.method} ${route.path.replaceAll('/', ' ')}`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${route.functionName}-integration`, fn),
        ...(!isPublic && { authorizer: this.authorizer }),
      });
      if (isPublic) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            route.access === 'connector'
              ? `${route.method} ${route.path} (${route.summary}) is a vendor's webhook: its handler verifies the sender with that connector's own secret before reading anything.`
              : `${route.method} ${route.path} (${route.summary}) is public by design: the route table gives it access 'public'.`,
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
      reason:
        'The $default route only answers requests that match no route with a problem-details 404; it reads no data, so it needs no credential.',
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
