import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Identifier, identifierKey } from '../../domain/identifiers.ts';
import type { IdentityStore, ProfileRecord } from '../../domain/identity-store.ts';
import type { AttachedIdentifier } from '../../domain/model.ts';
import { WriteRejectedError } from '../../domain/write-rejection.ts';
import { batchGetItems } from '../batch-get.ts';
import { profileEntity } from '../items/profile.ts';
import { profileKey } from '../keys.ts';
import { profileReplacement, toProfileRecord } from '../profile-item.ts';
import { call } from '../store-errors.ts';
import { updateExpression } from '../update-expression.ts';
import type { IdentityTable, TransactItem } from './table.ts';

/** Profiles as the identity graph reads and rewrites them (ingest writes them in dynamo-customer-store). */
export function profileStore(table: IdentityTable): Pick<IdentityStore, 'readProfile' | 'readProfiles' | 'replaceProfile'> {
  const { client, tableName } = table;

  async function readProfile(customerId: string): Promise<ProfileRecord | undefined> {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: profileKey(customerId), ConsistentRead: true })));
    return profileEntity.is(output.Item) ? toProfileRecord(output.Item) : undefined;
  }

  async function readProfiles(customerIds: string[]): Promise<Map<string, ProfileRecord>> {
    const unique = [...new Set(customerIds)];
    const found = new Map<string, ProfileRecord>();
    if (unique.length === 0) return found;
    for (const item of await batchGetItems(client, tableName, unique.map(profileKey))) {
      if (profileEntity.is(item)) {
        const profile = toProfileRecord(item);
        found.set(profile.customerId, profile);
      }
    }
    return found;
  }

  async function replaceProfile(customerId: string, replacement: Parameters<IdentityStore['replaceProfile']>[1]): Promise<void> {
    try {
      await call(() => client.send(new UpdateCommand({ TableName: tableName, ...profileReplacement(customerId, replacement, new Date().toISOString()) })));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new WriteRejectedError('card-stale', { cause: error });
      throw error;
    }
  }

  return { readProfile, readProfiles, replaceProfile };
}

/** Lists an identifier on a live customer's profile (not merged away, not under erasure). */
export function profileIdentifierSet(tableName: string, customerId: string, identifier: AttachedIdentifier): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: profileKey(customerId),
      ...updateExpression()
        .set(['identifiers', identifierKey(identifier)], identifier)
        .when(
          'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND #entity = :customerEntity',
          { ':customerEntity': 'customer' },
          { '#entity': 'entity' },
        )
        .build(),
    },
  };
}

export function profileIdentifierRemove(tableName: string, customerId: string, identifier: Identifier): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: profileKey(customerId),
      // Never creates a profile: an UpdateItem on a missing key would.
      ...updateExpression()
        .remove(['identifiers', identifierKey(identifier)])
        .when('attribute_exists(pk)')
        .build(),
    },
  };
}

/** The owner's profile entry of an identifier nobody else holds any longer. */
export function profileIdentifierUnshared(tableName: string, customerId: string, identifier: Identifier): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: profileKey(customerId),
      ...sharedFlagUpdate(identifier, false),
    },
  };
}

/** The owner's profile entry of an identifier another customer now shares. */
export function profileIdentifierShared(tableName: string, customerId: string, identifier: Identifier): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: profileKey(customerId),
      ...sharedFlagUpdate(identifier, true),
    },
  };
}

/** Only where the profile still lists the identifier: a profile is never given an entry by this. */
function sharedFlagUpdate(identifier: Identifier, shared: boolean) {
  const key = identifierKey(identifier);
  return updateExpression().set(['identifiers', key, 'shared'], shared).when('attribute_exists(identifiers.#key)', {}, { '#key': key }).build();
}
