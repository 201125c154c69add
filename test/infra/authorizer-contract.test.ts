import { describe, expect, it } from 'vitest';
import { accessOfRouteKey } from '../../shared/auth/authorize.ts';
import { defaultAuthorizerCacheSeconds } from '../../shared/auth/authorizer-cache.ts';
import { authorizerFunctionName } from '../../shared/http/routes.ts';
import { synth } from './synth-stacks.ts';

/**
 * The deployed authorizer and the code it runs agree: API Gateway sends the route key of the
 * route called, and the authorizer looks that key up in the route table. A route key it did not
 * know would be refused as an unknown route (fail closed), so every protected route in the
 * template must be one the authorizer knows, and only those.
 */
type RouteResource = { Properties: { RouteKey: string; AuthorizationType?: string } };

function routesOf(template: ReturnType<typeof synth>['apiTemplate']): RouteResource[] {
  return Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as RouteResource[];
}

describe('the authorizer as deployed', () => {
  it.each(['dev', 'prod'] as const)('knows the access of every route key it guards (%s)', (environment) => {
    const guarded = routesOf(synth(environment).apiTemplate).filter((route) => route.Properties.AuthorizationType === 'CUSTOM');

    expect(guarded.length).toBeGreaterThan(0);
    for (const route of guarded) {
      const access = accessOfRouteKey(route.Properties.RouteKey);
      expect({ routeKey: route.Properties.RouteKey, access }).toEqual({ routeKey: route.Properties.RouteKey, access: expect.any(String) });
      expect(access).not.toBe('public');
      expect(access).not.toBe('connector');
    }
  });

  it('guards every route whose access is not public, and no other', () => {
    for (const route of routesOf(synth().apiTemplate)) {
      const access = route.Properties.RouteKey === '$default' ? 'public' : accessOfRouteKey(route.Properties.RouteKey);
      expect({ routeKey: route.Properties.RouteKey, guarded: route.Properties.AuthorizationType === 'CUSTOM' }).toEqual({
        routeKey: route.Properties.RouteKey,
        guarded: access !== 'public' && access !== 'connector',
      });
    }
  });

  it('caches answers as long as the local adapter does by default: the same revocation delay in both', () => {
    for (const environment of ['dev', 'prod'] as const) {
      synth(environment).apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
        AuthorizerResultTtlInSeconds: defaultAuthorizerCacheSeconds,
      });
    }
  });

  it('runs functions/authorize-request with the table to read keys from', () => {
    const { api } = synth();
    const authorizer = api.functions.get(authorizerFunctionName);

    expect(authorizer).toBeDefined();
    expect(api.httpApi.authorizer).toBeDefined();
    const [resource] = Object.values(
      synth().apiTemplate.findResources('AWS::Lambda::Function', {
        Properties: { Description: `Touchpoint API ${authorizerFunctionName}` },
      }),
    ) as Array<{ Properties: { Environment: { Variables: Record<string, unknown> } } }>;
    expect(resource?.Properties.Environment.Variables).toHaveProperty('TABLE_NAME');
  });
});
