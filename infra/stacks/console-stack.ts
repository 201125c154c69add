import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import type { EnvironmentSettings } from '../config/environment-settings.ts';
import { type ConsoleSignIn, ConsoleSite, consolePrefix } from '../constructs/console-site.ts';

export interface ConsoleStackProps extends StackProps {
  settings: EnvironmentSettings;
  api: IHttpApi;
  signIn?: ConsoleSignIn;
}

/** The staff console (static site) in front of the API; stateless, redeployable at any time. */
export class ConsoleStack extends Stack {
  readonly site: ConsoleSite;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    this.site = new ConsoleSite(this, 'Console', { settings: props.settings, api: props.api, ...(props.signIn ? { signIn: props.signIn } : {}) });
    new CfnOutput(this, 'ConsoleUrl', { value: `${this.site.url}/${consolePrefix}/` });
  }
}
