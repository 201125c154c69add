import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Identifier } from '../../domain/identifiers.ts';
import type { IdentifierOwner, IdentityStore, LinkOutcome } from '../../domain/identity-store.ts';
import type { AttachedIdentifier } from '../../domain/model.ts';
import { WriteRejectedError } from '../../domain/write-rejection.ts';
import { identifierClaimPut } from '../cross-references.ts';
import { newIdentifierPut, toIdentifierOwner } from '../dynamo-customer-store.ts';
import { identifierItemKey } from '../keys.ts';
import { call } from '../store-errors.ts';
import { notSuppressedCheck, throwIfSuppressed } from '../suppression.ts';
import { profileIdentifierRemove, profileIdentifierSet, profileIdentifierShared, profileIdentifierUnshared, profileStore } from './profiles.ts';
import { updateExpression } from '../update-expression.ts';
import { type IdentityTable, transact } from './table.ts';

type IdentifierLinkMethods = 'findIdentifierOwner' | 'setIdentifierOwner' | 'linkIdentifier' | 'unlinkIdentifier';

/** Which customer (and which others, shared) an identifier belongs to, and the profile entries that mirror it. */
export function identifierLinkStore(table: IdentityTable): Pick<IdentityStore, IdentifierLinkMethods> {
  const { client, tableName } = table;
  const { readProfile } = profileStore(table);

  async function findIdentifierOwner(identifier: Identifier): Promise<IdentifierOwner | undefined> {
    const output = await call(() => client.send(new GetCommand({ TableName: tableName, Key: identifierItemKey(identifier), ConsistentRead: true })));
    return output.Item ? toIdentifierOwner(output.Item) : undefined;
  }

  async function setIdentifierOwner(identifier: Identifier, expected: IdentifierOwner, next: IdentifierOwner, mergeId: string): Promise<boolean> {
    const sharedGuard = expected.sharedWith.length ? 'sharedWith = :expectedSharedWith' : '(attribute_not_exists(sharedWith) OR size(sharedWith) = :zero)';
    try {
      await call(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: identifierItemKey(identifier),
            ...updateExpression()
              .set('customerId', next.customerId)
              .set('sharedWith', next.sharedWith)
              .set('shared', next.sharedWith.length > 0)
              .set('lastMergeId', mergeId)
              .when(`customerId = :expectedOwner AND ${sharedGuard}`, {
                ':expectedOwner': expected.customerId,
                ...(expected.sharedWith.length ? { ':expectedSharedWith': expected.sharedWith } : { ':zero': 0 }),
              })
              .build(),
          }),
        ),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Resuming an interrupted merge or undo: the identifier may already be where it should be.
    const now = await findIdentifierOwner(identifier);
    return now?.customerId === next.customerId && now.sharedWith.join() === next.sharedWith.join();
  }

  async function linkIdentifier(customerId: string, identifier: AttachedIdentifier, shared: boolean): Promise<LinkOutcome> {
    // Refused like ingest refuses it, in the same transaction: no moment between check and link.
    const notSuppressed = notSuppressedCheck(tableName, identifier);
    try {
      await transact(table, [
        { Put: newIdentifierPut(tableName, identifier, customerId) },
        profileIdentifierSet(tableName, customerId, identifier),
        identifierClaimPut(tableName, customerId, identifier),
        notSuppressed,
      ]);
      return { kind: 'linked' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      throwIfSuppressed(error, 3);
    }
    const owner = await findIdentifierOwner(identifier);
    // Refused although nobody holds it: unlinked meanwhile, or the customer is no longer live (read it again).
    if (!owner) throw new WriteRejectedError('identifier-taken');
    if (owner.customerId === customerId || owner.sharedWith.includes(customerId)) return { kind: 'already-linked' };
    if (!shared) return { kind: 'owned-by-other', customerId: owner.customerId };
    try {
      await transact(table, [
        {
          Update: {
            TableName: tableName,
            Key: identifierItemKey(identifier),
            ...updateExpression()
              .set('shared', true)
              .append('sharedWith', [customerId], { orEmpty: true })
              .when('customerId = :owner AND NOT contains(sharedWith, :meId)', { ':owner': owner.customerId, ':meId': customerId })
              .build(),
          },
        },
        profileIdentifierSet(tableName, customerId, { ...identifier, shared: true }),
        profileIdentifierShared(tableName, owner.customerId, identifier),
        identifierClaimPut(tableName, customerId, identifier),
        notSuppressed,
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      throwIfSuppressed(error, 4);
      // The identifier changed hands since it was read (a merge moved it, an unlink released it).
      throw new WriteRejectedError('identifier-taken', { cause: error });
    }
    return { kind: 'linked' };
  }

  async function unlinkIdentifier(customerId: string, identifier: Identifier): Promise<boolean> {
    const owner = await findIdentifierOwner(identifier);
    if (!owner) return false;
    if (owner.customerId !== customerId && !owner.sharedWith.includes(customerId)) return false;
    const remaining = owner.sharedWith.filter((other) => other !== customerId);
    // The customer's profile loses the entry in the same transaction; a customer that no longer
    // exists (erased) only lets go of the identifier, and no profile is written for it.
    const profile = await readProfile(customerId);
    const fromProfile = profile ? [profileIdentifierRemove(tableName, customerId, identifier)] : [];
    try {
      if (owner.customerId === customerId && remaining.length === 0) {
        await transact(table, [
          {
            Delete: {
              TableName: tableName,
              Key: identifierItemKey(identifier),
              ConditionExpression: 'customerId = :before AND (attribute_not_exists(sharedWith) OR size(sharedWith) = :zero)',
              ExpressionAttributeValues: { ':before': owner.customerId, ':zero': 0 },
            },
          },
          ...fromProfile,
        ]);
        return true;
      }
      // Unlinking the owner promotes the next customer it is shared with; the last one left is no longer shared.
      const [nextOwner, ...rest] = owner.customerId === customerId ? remaining : [owner.customerId, ...remaining];
      await transact(table, [
        {
          Update: {
            TableName: tableName,
            Key: identifierItemKey(identifier),
            ...updateExpression()
              .set('customerId', nextOwner)
              .set('sharedWith', rest)
              .set('shared', rest.length > 0)
              .when('customerId = :before AND sharedWith = :sharedBefore', { ':before': owner.customerId, ':sharedBefore': owner.sharedWith })
              .build(),
          },
        },
        ...fromProfile,
        ...(rest.length === 0 ? [profileIdentifierUnshared(tableName, nextOwner as string, identifier)] : []),
      ]);
      return true;
    } catch (error) {
      // The identifier changed hands since it was read (another unlink, a link, a merge): read it again.
      if (error instanceof TransactionCanceledException) throw new WriteRejectedError('identifier-taken', { cause: error });
      throw error;
    }
  }

  return { findIdentifierOwner, setIdentifierOwner, linkIdentifier, unlinkIdentifier };
}
