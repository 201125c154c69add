import { touchpointVersionStore } from '../../db/touchpoint-version-store.ts';
import { ValidationError } from '../../domain/errors.ts';
import { recordVersionedTouchpoint, type VersionOutcome } from '../../domain/versioned-touchpoints.ts';
import { logger } from '../../observability/logger.ts';
import { connectorClient, recordConnectorTouchpoint } from '../connector-request.ts';
import { connectSource, type MappedContact, type Unmapped } from './contact-records.ts';

const connect = connectorClient(connectSource, ['call']);

/**
 * Records a contact's touchpoint, or amends it with a newer version of the contact: the one path of
 * both consumers (Kinesis contact records, EventBridge contact events), so a contact seen by both is
 * still one touchpoint. A contact it cannot place (not a call, no caller number) is logged by id and
 * kept nowhere; that is no failure, and the sender need not deliver it again.
 */
export async function recordContact(contact: MappedContact | Unmapped, receivedAt: Date): Promise<VersionOutcome | Unmapped['unmapped']> {
  if ('unmapped' in contact) {
    logger.info('Amazon Connect contact not mapped', { reason: contact.unmapped, contactId: contact.contactId });
    return contact.unmapped;
  }
  try {
    return await recordVersionedTouchpoint(
      touchpointVersionStore(),
      async (idempotencyKey) => {
        const answer = await recordConnectorTouchpoint(connect, contact.touchpoint, idempotencyKey, receivedAt);
        return { touchpointId: answer.body.touchpointId };
      },
      contact.versioned,
    );
  } catch (error) {
    // The ingest refused what the mapping made of it (a bound of the customer): retrying changes nothing.
    if (!(error instanceof ValidationError)) throw error;
    logger.warn('Amazon Connect contact refused by the ingest', {
      contactId: contact.versioned.ref.upstreamId,
      fields: error.problems.map((problem) => problem.path),
    });
    return 'invalid-touchpoint';
  }
}
