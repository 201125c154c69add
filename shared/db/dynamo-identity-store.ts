import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdentityStore } from '../domain/identity-store.ts';
import { candidateStore } from './identity/candidates.ts';
import { identifierLinkStore } from './identity/identifier-links.ts';
import { mergeRecordStore } from './identity/merge-records.ts';
import { moveStore } from './identity/moves.ts';
import { profileStore } from './identity/profiles.ts';

/** The domain's IdentityStore port, one aggregate per module under ./identity/. */
export function dynamoIdentityStore(client: DynamoDBDocumentClient, tableName: string): IdentityStore {
  const table = { client, tableName };
  return {
    ...profileStore(table),
    ...mergeRecordStore(table),
    ...identifierLinkStore(table),
    ...moveStore(table),
    ...candidateStore(table),
  };
}
