import type { TouchpointWrite } from '../domain/customer-store.ts';
import type { Identifier } from '../domain/identifiers.ts';
import { candidateHalfEntity, identifierClaimEntity, mentionEntity } from './items/cross-reference.ts';
import { type Key, profileKey } from './keys.ts';
import { profileEntity } from './items/profile.ts';

/**
 * Small pointer items that let an erase (and an export) find, by Queries on the customer's own
 * partition, every record elsewhere that names the customer or holds one of its identifiers: no
 * Scan. Each is written in the same transaction as the record it points to, so a record never
 * exists without its pointer. Pointers never hold another customer's id where that customer could
 * be erased without finding them: a mention holds a touchpoint id only, and a candidate half is
 * found (and deleted) from the partition of the customer it names.
 */

interface PutItem {
  Put: { TableName: string; Item: Record<string, unknown> };
}

/** The customer may be named by this identifier's item: read by an erase even when the profile lost the entry. */
export function identifierClaimPut(tableName: string, customerId: string, identifier: Identifier): PutItem {
  return {
    Put: {
      TableName: tableName,
      Item: identifierClaimEntity.item(identifierClaimEntity.key(customerId, identifier), { type: identifier.type, value: identifier.value }),
    },
  };
}

/**
 * The pointers a touchpoint write adds: a claim for each identifier it attaches; for each other
 * customer it mentions (a merge candidate over a contested identifier, an ambiguous candidate, an
 * anonymous profile about to be merged in) a mention in that customer's partition; and for each
 * merge candidate a half in both partitions.
 */
export function touchpointCrossReferences(tableName: string, write: TouchpointWrite): PutItem[] {
  const { touchpoint } = write;
  const owner = touchpoint.customerId;
  const items = new Map<string, PutItem>();
  const put = (item: Record<string, unknown> & Key) => {
    items.set(`${item.pk}\u0000${item.sk}`, { Put: { TableName: tableName, Item: item } });
  };
  for (const identifier of write.attach) {
    const claim = identifierClaimPut(tableName, owner, identifier);
    items.set(`${claim.Put.Item.pk}\u0000${claim.Put.Item.sk}`, claim);
  }
  const mentioned = new Set([
    ...write.mergeCandidates.map((candidate) => candidate.otherCustomerId),
    ...(touchpoint.ambiguity?.otherCandidates ?? []),
    ...(write.joining ?? []),
  ]);
  mentioned.delete(owner);
  for (const other of mentioned) {
    put(mentionEntity.item(mentionEntity.key(other, touchpoint.touchpointId), { touchpointId: touchpoint.touchpointId }));
  }
  for (const { otherCustomerId } of write.mergeCandidates) {
    if (otherCustomerId === owner) continue;
    put(candidateHalfEntity.item(candidateHalfEntity.key(owner, otherCustomerId), { otherCustomerId }));
    put(candidateHalfEntity.item(candidateHalfEntity.key(otherCustomerId, owner), { otherCustomerId: owner }));
  }
  return [...items.values()];
}

/**
 * The check that goes into the transaction of a pointer written after the fact (not with the
 * record it points to): the customer is a customer and not under erasure, so that no pointer is
 * ever left in an erased partition.
 */
export function notErasedCheck(tableName: string, customerId: string) {
  return {
    ConditionCheck: {
      TableName: tableName,
      Key: profileKey(customerId),
      ConditionExpression: '#entity = :customer',
      ExpressionAttributeNames: { '#entity': 'entity' },
      ExpressionAttributeValues: { ':customer': profileEntity.name },
    },
  };
}
