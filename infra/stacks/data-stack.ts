import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { tableDefinition } from '../../shared/db/table-definition.ts';
import type { EnvironmentSettings } from '../config/environment-settings.ts';

export interface DataStackProps extends StackProps {
  settings: EnvironmentSettings;
}

/**
 * The stateful half: the one DynamoDB table, built from the shared table definition so the
 * deployed table and the local one (shared/db/create-table.ts) cannot drift. Kept apart from the
 * API stack so that redeploying, or even replacing, the stateless resources never touches data.
 */
export class DataStack extends Stack {
  readonly table: Table;
  /** The HMAC key of the erasure suppression list (shared/privacy/privacy-config.ts). */
  readonly suppressionSecret: Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { settings } = props;

    const encryptionKey = settings.tableKmsKey
      ? new Key(this, 'TableKey', {
          description: `Touchpoint API (${settings.envName}) table encryption`,
          enableKeyRotation: true,
          removalPolicy: settings.removalPolicy,
        })
      : undefined;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.removalPolicy,
      // AWS owned keys cost nothing and need no key policy; a customer managed key is for
      // accounts whose policy demands key control and CloudTrail records of key use.
      ...(encryptionKey ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey } : { encryption: TableEncryption.DEFAULT }),
      // The event publisher needs both images: a MODIFY is an event only when an attribute changed.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    for (const index of tableDefinition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType[index.projectionType],
      });
    }

    // State, like the table: suppressions are stored as HMACs under this key, so a new key would
    // silently stop refusing erased customers' identifiers.
    this.suppressionSecret = new Secret(this, 'SuppressionSecret', {
      description: `Touchpoint API (${settings.envName}) HMAC key of the erasure suppression list`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: settings.removalPolicy,
    });
    Validations.of(this.suppressionSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the suppression HMAC key would orphan every stored suppression (they are HMACs under it); it is rotated deliberately by lifting and re-adding suppressions, never on a schedule.',
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}
