import { Match } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { tableDefinition } from '../../shared/db/table-definition.ts';
import { synth } from './synth-stacks.ts';

describe('DataStack table', () => {
  it('uses the shared table definition for keys, the GSI and the TTL attribute', () => {
    const { dataTemplate } = synth();

    dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('is on-demand with point-in-time recovery and a NEW_AND_OLD_IMAGES stream', () => {
    const { dataTemplate } = synth();

    dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('is encrypted with an AWS owned key by default', () => {
    const { dataTemplate } = synth();

    // SSEEnabled false is DynamoDB's spelling of "AWS owned key".
    dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: false } });
    dataTemplate.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('is encrypted with a rotating customer managed key when tableKmsKey=true', () => {
    const { dataTemplate } = synth('custom');

    dataTemplate.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
  });

  it('is retained and deletion-protected in prod', () => {
    const { dataTemplate } = synth('prod');

    dataTemplate.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  it('can be destroyed with the dev stack', () => {
    const { dataTemplate } = synth('dev');

    dataTemplate.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });

  it('is the only table of the app', () => {
    const { dataTemplate, apiTemplate } = synth();

    dataTemplate.resourceCountIs('AWS::DynamoDB::Table', 1);
    apiTemplate.resourceCountIs('AWS::DynamoDB::Table', 0);
  });
});
