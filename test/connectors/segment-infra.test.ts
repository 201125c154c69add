import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createTouchpointStacks } from '../../infra/touchpoint-app.ts';
import { cdkJsonContext } from '../infra/synth-stacks.ts';

function synthWith(context: Record<string, unknown>) {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], env: 'dev', ...context }, builtinCloudFormationValidation: false });
  const stacks = createTouchpointStacks(app);
  return Template.fromStack(stacks.api);
}

const mapping = { 'Order Completed': { channel: 'web_visit', value: { from: 'properties.revenue' }, details: { url: { from: 'context.page.url' } } } };

describe('Segment track events in the CDK app', () => {
  it('hands the checked mapping to the Segment function alone', () => {
    const template = synthWith({ segmentTrackEvents: JSON.stringify(mapping) });
    const holders = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ SEGMENT_TRACK_EVENTS: Match.anyValue() }) } },
    });

    expect(Object.values(holders).map((resource) => resource.Properties.Description)).toEqual(['Touchpoint API receive-segment-events']);
    expect(JSON.parse(Object.values(holders)[0]?.Properties.Environment.Variables.SEGMENT_TRACK_EVENTS)).toEqual(mapping);
  });

  it('fails the synth for a mapping the function would refuse at cold start', () => {
    expect(() => synthWith({ segmentTrackEvents: JSON.stringify({ 'Order Completed': { channel: 'purchase' } }) })).toThrow(/SEGMENT_TRACK_EVENTS/);
  });
});
