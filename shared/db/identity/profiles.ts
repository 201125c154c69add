import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Identifier, identifierKey } from '../../domain/identifiers.ts';
import type { IdentityStore, ProfileRecord } from '../../domain/identity-store.ts';
import type { AttachedIdentifier } from '../../domain/model.ts';
import { WriteRejectedError } from '../../domain/write-rejection.ts';
import { batchGetItems } from '../batch-get.ts';
import { cardEntity } from '../items/card.ts';
import { profileEntity } from '../items/profile.ts';
import { cardKey, profileKey } from '../keys.ts';
import { itemUpdates, profileReplacement, toProfileRecord } from '../profile-item.ts';
import { call } from '../store-errors.ts';
import { updateExpression } from '../update-expression.ts';
import { type IdentityTable, type TransactItem, transact } from './table.ts';

/** Profiles as the identity graph reads and rewrites them (ingest writes them in dynamo-customer-store). */
export function profileStore(table: IdentityTable): Pick<IdentityStore, 'readProfile' | 'readProfiles' | 'replaceProfile'> {
  const { client, tableName } = table;

  async function readProfile(customerId: string): Promise<ProfileRecord | undefined> {
    return (await readProfiles([customerId])).get(customerId);
  }

  /** Each customer's profile and card, in one BatchGetItem per 50 customers. */
  async function readProfiles(customerIds: string[]): Promise<Map<string, ProfileRecord>> {
    const unique = [...new Set(customerIds)];
    const found = new Map<string, ProfileRecord>();
    for (let start = 0; start < unique.length; start += 50) {
      const items = await batchGetItems(
        client,
        tableName,
        unique.slice(start, start + 50).flatMap((customerId) => [profileKey(customerId), cardKey(customerId)]),
      );
      const cards = new Map(items.filter((item) => cardEntity.is(item)).map((item) => [item.pk, item]));
      for (const item of items) {
        const card = cards.get(item.pk);
        if (profileEntity.is(item) && card) {
          const profile = toProfileRecord(item, card);
          found.set(profile.customerId, profile);
        }
      }
    }
    return found;
  }

  async function replaceProfile(customerId: string, replacement: Parameters<IdentityStore['replaceProfile']>[1]): Promise<void> {
    const updates = profileReplacement(customerId, replacement, new Date().toISOString());
    try {
      // The card alone is one UpdateItem; with identity changes, both items change together.
      if (!updates.profile) await call(() => client.send(new UpdateCommand({ TableName: tableName, ...updates.card })));
      else
        await transact(
          table,
          itemUpdates(updates).map((update) => ({ Update: { TableName: tableName, ...update } })),
        );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException) {
        throw new WriteRejectedError('card-stale', { cause: error });
      }
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
