import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { tableDefinition } from '../../shared/db/table-definition.ts';
import { handlerEntry, timeoutSecondsOf } from '../../shared/http/routes.ts';
import { bundlingOptions, functionNodeOptions, projectRoot } from '../config/bundling.ts';
import type { EnvironmentSettings } from '../config/environment-settings.ts';

/**
 * Bundle the AWS SDK v3 (tree-shaken, minified) instead of loading the copy in the Lambda runtime.
 * Chosen by infra/tools/measure-cold-start.ts: importing the bundled handler was faster than
 * importing one that resolves the SDK's packages from node_modules (numbers in the README section);
 * it also pins the SDK version we test with. The credential providers a Lambda never reaches stay
 * out of it all the same (`sdkModulesLeftToRuntime` in infra/config/bundling.ts).
 */
export const bundleAwsSdk = true;

export interface ProjectFunctionProps {
  /** A folder under `functions/` whose `handler.ts` exports `handler`. */
  functionName: string;
  settings: EnvironmentSettings;
  /** Grants item access on the table (and its key) and sets `TABLE_NAME`. */
  table?: ITable;
  /** @default 'readWrite' */
  tableAccess?: 'read' | 'readWrite';
  environment?: Record<string, string>;
  description?: string;
  memorySize?: number;
  timeout?: Duration;
}

/**
 * Every Lambda of the project: Node 22 on ARM64, ESM bundled by the local esbuild (minified, with
 * source maps), X-Ray active, its own log group with the environment's retention, Powertools
 * configured, and table access plus `TABLE_NAME` in one place.
 */
export class ProjectFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    const { functionName, settings, table } = props;
    const entry = join(projectRoot, handlerEntry(functionName));
    const placeholder = placeholderCodeIfMissing(scope, entry);
    super(scope, id, {
      entry: placeholder ? undefined : entry,
      code: placeholder,
      handler: placeholder ? 'index.handler' : 'handler',
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      projectRoot,
      description: props.description ?? `Touchpoint API ${functionName}`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(timeoutSecondsOf(functionName)),
      tracing: Tracing.ACTIVE,
      logGroup: new LogGroup(scope, `${id}LogGroup`, {
        retention: settings.logRetention,
        removalPolicy: settings.removalPolicy,
      }),
      // bundlingOptions in NodejsFunction's terms (infra/config/bundling.ts, shared with the bench).
      bundling: {
        format: OutputFormat.ESM,
        target: bundlingOptions.target,
        platform: bundlingOptions.platform,
        mainFields: bundlingOptions.mainFields,
        banner: bundlingOptions.banner.js,
        minify: bundlingOptions.minify,
        sourceMap: bundlingOptions.sourcemap,
        sourcesContent: bundlingOptions.sourcesContent,
        ...(bundleAwsSdk ? { externalModules: bundlingOptions.external } : { bundleAwsSDK: false }),
      },
      environment: {
        NODE_OPTIONS: functionNodeOptions,
        POWERTOOLS_SERVICE_NAME: 'touchpoint-api',
        POWERTOOLS_METRICS_NAMESPACE: 'TouchpointApi',
        DEFAULT_PHONE_REGION: settings.defaultPhoneRegion,
        ...props.environment,
      },
    });
    if (table) {
      grantItemAccess(this, table, props.tableAccess ?? 'readWrite');
      this.addEnvironment('TABLE_NAME', table.tableName);
    }
    suppressStandardFindings(this);
  }
}

/**
 * Item reads and writes on the table and its named indexes. Narrower than `grantReadWriteData`:
 * no `Scan` (access patterns are Queries on designed keys) and no `index/*` wildcard. Transactions
 * need no actions of their own: DynamoDB authorises each item operation inside them.
 */
export const tableItemActions = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:DescribeTable'],
  readWrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DescribeTable',
  ],
};

function grantItemAccess(fn: NodejsFunction, table: ITable, access: 'read' | 'readWrite'): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: tableItemActions[access],
      resources: [table.tableArn, ...tableDefinition.globalSecondaryIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`)],
    }),
  );
  if (table.encryptionKey) {
    if (access === 'read') table.encryptionKey.grantDecrypt(fn);
    else table.encryptionKey.grantEncryptDecrypt(fn);
    const reason = "The encrypt/decrypt grant DynamoDB needs on the table's customer managed key; the key is the only resource.";
    Validations.of(fn).acknowledge({ id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason });
    Validations.of(fn).acknowledge({ id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason });
  }
}

/**
 * NodejsFunction refuses a missing entry even when bundling is skipped (the assertion tests skip
 * it). So that the infra tests do not wait for every handler of the route table to be written,
 * a missing handler gets inline placeholder code, but only when this stack is not being bundled:
 * a real synth or deploy still fails loudly.
 */
function placeholderCodeIfMissing(scope: Construct, entry: string): Code | undefined {
  if (existsSync(entry)) return undefined;
  if (Stack.of(scope).bundlingRequired) {
    throw new Error(`Cannot bundle ${entry}: the file does not exist (every function needs functions/<name>/handler.ts)`);
  }
  Annotations.of(scope).addInfo(`${entry} does not exist yet; placeholder code used because bundling is skipped`);
  return Code.fromInline('export const handler = async () => { throw new Error("placeholder"); };');
}

/** cdk-nag findings every project function has, each acknowledged with its reason. */
function suppressStandardFindings(fn: NodejsFunction): void {
  // Acknowledgements on the function also cover its children: the role and its default policy.
  const findings = Validations.of(fn);
  findings.acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'Node 22 is the runtime the project pins (issue 7) and tests against; moving to a newer runtime is a deliberate upgrade together with the local toolchain.',
  });
  findings.acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'The AWS-maintained basic execution policy only lets the function write its CloudWatch Logs.',
  });
  findings.acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Resource "*" is granted only for actions that support no resource-level permissions: X-Ray PutTraceSegments/PutTelemetryRecords (tracing) and, for the stream consumer, dynamodb:ListStreams (test/infra checks this).',
  });
}
