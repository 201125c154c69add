import { createHmac, timingSafeEqual } from 'node:crypto';

/** Stripe's default tolerance: a signature older (or further ahead) than this is a replay. */
export const stripeToleranceSeconds = 300;

export type SignatureCheck = { valid: true } | { valid: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/**
 * Verifies a `Stripe-Signature` header (`t=<unix seconds>,v1=<hex>[,v1=...][,v0=...]`) as Stripe
 * documents it: HMAC-SHA256 of `<t>.<raw body>` with the endpoint's signing secret, any `v1`
 * matching, compared in constant time; v0 (test mode's legacy scheme) is ignored. Several v1
 * values appear while a secret is being rolled.
 */
export function verifyStripeSignature(rawBody: string, header: string | undefined, secret: string, now: Date): SignatureCheck {
  if (!header) return { valid: false, reason: 'missing' };
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([name]) => name === 't').map(([, value]) => value ?? '');
  const signatures = parts.filter(([name]) => name === 'v1').map(([, value]) => value ?? '');
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || !timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
    return { valid: false, reason: 'malformed' };
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest();
  const matches = signatures.some((signature) => {
    if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
    return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
  });
  if (!matches) return { valid: false, reason: 'mismatch' };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > stripeToleranceSeconds) return { valid: false, reason: 'stale' };
  return { valid: true };
}
