import * as z from '../../schemas/zod.ts';
import { connectorSetting, ctiSystemPattern } from '../connector-config.ts';
import { type SignatureCheck, verifyStripeSignature } from '../stripe/signature.ts';

/**
 * A CTI system signs its webhook as Stripe signs its own (`X-CTI-Signature: t=<unix seconds>,v1=<hex>`,
 * HMAC-SHA256 of `<t>.<raw body>`, five minutes' tolerance), so the scheme is one that has been
 * reviewed widely and that many HTTP tools and libraries already produce. Each system has its own
 * secret, all kept in one map (`CTI_WEBHOOK_SECRETS`: `{"sipgate": "...", "placetel": "..."}`).
 */
const secretMapSchema = z.record(z.string().check(z.regex(ctiSystemPattern)), z.string().check(z.minLength(16)));

let secrets: Map<string, string> | undefined;

function secretOf(system: string): string | undefined {
  secrets ??= new Map(Object.entries(secretMapSchema.parse(JSON.parse(connectorSetting('ctiWebhookSecrets')))));
  return secrets.get(system);
}

export type CtiCheck = SignatureCheck | { valid: false; reason: 'unknown-system' };

export function verifyCtiSignature(system: string, rawBody: string, header: string | undefined, now: Date): CtiCheck {
  const secret = secretOf(system);
  if (!secret) return { valid: false, reason: 'unknown-system' };
  return verifyStripeSignature(rawBody, header, secret, now);
}
