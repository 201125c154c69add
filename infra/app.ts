import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createTouchpointStacks } from './touchpoint-app.ts';

const app = new App();
createTouchpointStacks(app);

// cdk-nag 3 is a policy validation plugin: any unacknowledged finding fails the synth.
// `--context nag=false` skips it (e.g. to look at a template while fixing a finding).
const nag: unknown = app.node.tryGetContext('nag');
if (nag !== false && nag !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
