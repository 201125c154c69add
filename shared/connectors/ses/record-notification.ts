import { connectorClient, recordConnectorTouchpoint, unmappable } from '../connector-request.ts';
import { applyPermissionChange } from './contact-permissions.ts';
import { mapSesNotification } from './notifications.ts';
import type { SnsMessage } from './sns-message.ts';

const ses = connectorClient('ses', ['email']);

/**
 * Records a verified SNS notification's SES content: touchpoints through the ingest, bounces and
 * complaints through the preferences use case, each keyed on SES's own ids. Answers how many
 * touchpoints and permission changes it holds (a replay counts as its first delivery did for
 * touchpoints; a permission already in place counts nothing); 0 for an SES event it leaves out.
 */
export async function recordSesNotification(message: SnsMessage, receivedAt: Date): Promise<number> {
  let notification: unknown;
  try {
    notification = JSON.parse(message.Message);
  } catch {
    throw unmappable('ses', 'The SNS message is not JSON: not an Amazon SES notification.', { messageId: message.MessageId });
  }
  const mapping = mapSesNotification(notification);
  if (mapping.kind === 'ignored') return 0;
  if (mapping.kind === 'unmappable') throw unmappable('ses', mapping.detail, { messageId: message.MessageId });
  let recorded = 0;
  for (const effect of mapping.effects) {
    if (effect.kind === 'touchpoint') {
      await recordConnectorTouchpoint(ses, effect.touchpoint, effect.key, receivedAt);
      recorded += 1;
    } else {
      recorded += await applyPermissionChange(effect, receivedAt);
    }
  }
  return recorded;
}
