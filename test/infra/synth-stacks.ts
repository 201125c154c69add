import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { projectRoot } from '../../infra/config/bundling.ts';
import { createTouchpointStacks, type TouchpointStacks } from '../../infra/touchpoint-app.ts';

/** The feature flags of cdk.json, so tests build what `cdk synth` builds. */
export const cdkJsonContext: Record<string, unknown> = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')).context;

export interface Synthesized extends TouchpointStacks {
  app: App;
  apiTemplate: Template;
  dataTemplate: Template;
}

/**
 * Every flag away from its default at once (strings, as `--context` passes them), so one extra
 * synth covers them all; tests of defaults use `synth('dev')` and `synth('prod')`.
 */
export const customContext = {
  env: 'prod',
  tableKmsKey: 'true',
  webThrottleRateLimit: '7',
  webThrottleBurstLimit: '9',
  throttleRateLimit: '25',
  throttleBurstLimit: '40',
  defaultPhoneRegion: 'IE',
  eventsIncludePersonalData: 'true',
  alarmEmail: 'oncall@example.com',
  authorizerCacheSeconds: '300',
  jwtIssuer: 'https://login.example.com/',
  jwtAudience: 'touchpoint-api',
};

const contexts = { dev: { env: 'dev' }, prod: { env: 'prod' }, custom: customContext };

const cache = new Map<keyof typeof contexts, Synthesized>();

/**
 * Both stacks for a context, with bundling skipped (under a second instead of several) and without
 * CloudFormation's built-in template validation (its first run in a process loads rule sets for
 * 5 to 20 seconds; `npm run synth` runs it, with cdk-nag, on every synth). Cached per context
 * within a test file: templates are read-only.
 */
export function synth(which: keyof typeof contexts = 'dev'): Synthesized {
  const cached = cache.get(which);
  if (cached) return cached;
  const app = new App({
    context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...contexts[which] },
    builtinCloudFormationValidation: false,
  });
  const stacks = createTouchpointStacks(app);
  const synthesized = {
    app,
    ...stacks,
    apiTemplate: Template.fromStack(stacks.api),
    dataTemplate: Template.fromStack(stacks.data),
  };
  cache.set(which, synthesized);
  return synthesized;
}

export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}
