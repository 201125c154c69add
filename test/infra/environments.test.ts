import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { settingsFromContext } from '../../infra/config/environment-settings.ts';
import { createTouchpointStacks } from '../../infra/touchpoint-app.ts';
import { cdkJsonContext, synth } from './synth-stacks.ts';

function settings(context: Record<string, unknown>) {
  return settingsFromContext(new App({ context }).node);
}

describe('environments', () => {
  it('default to dev', () => {
    const { data, api } = synth();

    expect([data.stackName, api.stackName]).toEqual(['touchpoint-dev-data', 'touchpoint-dev-api']);
  });

  it('name the prod stacks apart from dev and protect them from termination', () => {
    const { data, api } = synth('prod');

    expect([data.stackName, api.stackName]).toEqual(['touchpoint-prod-data', 'touchpoint-prod-api']);
    expect(data.terminationProtection).toBe(true);
  });

  it('differ in removal policy, log retention, alarm actions and throttling', () => {
    const dev = settings({ env: 'dev' });
    const prod = settings({ env: 'prod' });

    expect({ removal: dev.removalPolicy, retention: dev.logRetention, alarms: dev.alarmActionsEnabled }).toEqual({
      removal: 'destroy',
      retention: 7,
      alarms: false,
    });
    expect({ removal: prod.removalPolicy, retention: prod.logRetention, alarms: prod.alarmActionsEnabled }).toEqual({
      removal: 'retain',
      retention: 90,
      alarms: true,
    });
    expect(prod.throttle.rateLimit).toBeGreaterThan(dev.throttle.rateLimit);
  });

  it('destroy dev log groups with the stack and keep prod ones', () => {
    synth('dev').apiTemplate.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    synth('prod').apiTemplate.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });

  it('reject an unknown environment name', () => {
    expect(() => settings({ env: 'staging' })).toThrow(/env must be one of dev, prod/);
  });

  it('reject a flag that is neither true nor false', () => {
    expect(() => settings({ tableKmsKey: 'yes' })).toThrow(/tableKmsKey must be true or false/);
  });

  it('read CORS origins as a comma-separated list', () => {
    expect(settings({ corsOrigins: ' https://a.example ,https://b.example,' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });
});

describe('the synthesized app', () => {
  it("passes CloudFormation's built-in template validation without a finding, as cdk synth runs it", () => {
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], env: 'prod', tableKmsKey: true } });
    createTouchpointStacks(app);

    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((plugin: { violations?: unknown[] }) => plugin.violations ?? []);

    expect(violations).toEqual([]);
  });
});
