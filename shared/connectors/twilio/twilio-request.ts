import type * as z from '../../schemas/zod.ts';
import type { ApiEvent } from '../../http/api-handler.ts';
import { header } from '../../http/api-handler.ts';
import { connectorSetting } from '../connector-config.ts';
import { rawBodyOf, unmappable, unverified } from '../connector-request.ts';
import { requestUrl, verifyTwilioSignature } from './signature.ts';

/** A Twilio webhook's parameters, once its signature verified; refused (401) otherwise, or 422 when they are not the webhook's. */
export function verifiedTwilioParameters<S extends z.ZodMiniType>(event: ApiEvent, schema: S): z.infer<S> {
  const form = new URLSearchParams(rawBodyOf(event));
  if (!verifyTwilioSignature(requestUrl(event), form, header(event, 'x-twilio-signature'), connectorSetting('twilioAuthToken'))) {
    throw unverified('twilio', 'signature');
  }
  const parsed = schema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    throw unmappable('twilio', 'The parameters are not those of this Twilio webhook.', {
      fields: parsed.error.issues.map((issue) => issue.path.join('.')).join(','),
    });
  }
  return parsed.data;
}
