import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { notFoundFunctionName, routes } from '../../shared/http/routes.ts';
import { logicalId, type Synthesized, synth } from './synth-stacks.ts';

/** The logical id of the function a route's integration invokes. */
function functionBehindRoute(synthesized: Synthesized, routeKey: string): string {
  const template = synthesized.apiTemplate;
  const [route] = Object.values(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
  const target = route?.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] } | undefined;
  const integrationId = target?.['Fn::Join'][1][1].Ref;
  const integration = template.findResources('AWS::ApiGatewayV2::Integration')[integrationId ?? ''];
  const uri = integration?.Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] } | undefined;
  return uri?.['Fn::GetAtt'][0] ?? `no integration for ${routeKey}`;
}

describe('HTTP API routes', () => {
  it.each(routes)('routes $method $path to $functionName', (route) => {
    const synthesized = synth();
    const expected = logicalId(synthesized.api, synthesized.api.functions.get(route.functionName)!);

    expect(functionBehindRoute(synthesized, `${route.method} ${route.path}`)).toBe(expected);
  });

  it('sends every other request to the not-found function through $default', () => {
    const synthesized = synth();
    const expected = logicalId(synthesized.api, synthesized.api.functions.get(notFoundFunctionName)!);

    expect(functionBehindRoute(synthesized, '$default')).toBe(expected);
  });

  it('has no routes beyond the route table and $default', () => {
    synth().apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length + 1);
  });

  it('uses payload format 2.0 for every integration', () => {
    const integrations = Object.values(synth().apiTemplate.findResources('AWS::ApiGatewayV2::Integration'));

    expect(integrations.map((integration) => integration.Properties.PayloadFormatVersion)).toEqual(
      integrations.map(() => '2.0'),
    );
  });
});

describe('HTTP API stage', () => {
  it('is the auto-deployed $default stage with the environment throttling', () => {
    synth('dev').apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('takes throttling from context when given', () => {
    synth('custom').apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 40 },
    });
  });

  it('writes JSON access logs with request id, ip, route, status and latency to its log group', () => {
    const { apiTemplate, api } = synth();
    const [stage] = Object.values(apiTemplate.findResources('AWS::ApiGatewayV2::Stage'));
    const settings = stage?.Properties.AccessLogSettings as { Format: string; DestinationArn: unknown };

    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
    });
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [logicalId(api, api.httpApi.accessLogs), 'Arn'] });
  });
});

describe('HTTP API CORS', () => {
  it('is not configured when no origins are given', () => {
    synth().apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
  });

  it('allows exactly the configured origins', () => {
    synth('custom').apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://www.example.com', 'https://shop.example.com'],
        AllowMethods: ['GET', 'POST', 'OPTIONS'],
      }),
    });
  });
});
