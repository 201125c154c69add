import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiEvent } from '../../http/api-handler.ts';

/**
 * Twilio's request validation ("Webhooks security"): `X-Twilio-Signature` is the Base64 HMAC-SHA1,
 * keyed with the account's auth token, of the full URL Twilio requested followed by each POST
 * parameter's name and value, names in sorted order. Twilio signs no timestamp: a replayed request
 * verifies, and is harmless because every touchpoint is keyed on its Twilio sid.
 */
export function verifyTwilioSignature(url: string, form: URLSearchParams, header: string | undefined, authToken: string): boolean {
  if (!header) return false;
  const names = [...new Set(form.keys())].sort();
  const signedText = names.reduce(
    (text, name) =>
      text +
      [...new Set(form.getAll(name))]
        .sort()
        .map((value) => name + value)
        .join(''),
    url,
  );
  const expected = createHmac('sha1', authToken).update(signedText, 'utf8').digest();
  const given = Buffer.from(header, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The URL Twilio called, as it signed it: API Gateway terminates TLS and names the scheme in X-Forwarded-Proto. */
export function requestUrl(event: ApiEvent): string {
  const scheme = event.headers?.['x-forwarded-proto'] ?? 'https';
  const host = event.headers?.host ?? event.requestContext.domainName;
  return `${scheme}://${host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
}
