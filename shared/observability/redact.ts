/**
 * What our logs may not carry: phone numbers, email addresses and free text. Applied to every log
 * line by the Powertools logger (as its JSON replacer, so it sees every key at every depth,
 * including errors after Powertools formats them):
 * - values under a personal or free-text key are replaced whole, whatever their type;
 * - in every other string, anything shaped like an email address or a phone number is masked
 *   (an error message quoting a rejected value, say).
 */
export const redacted = '[redacted]';

const personalKeys = new Set(
  [
    // identifiers
    'phone',
    'email',
    'accountId',
    'invoiceNumber',
    'anonymousId',
    'externalId',
    'identifiers',
    'identifier',
    'value',
    'from',
    'to',
    'cc',
    'sharedWith',
    // free text and what a person typed or saw
    'summary',
    'notes',
    'subject',
    'body',
    'url',
    'title',
    'referrer',
    'userAgent',
    'displayName',
    'traits',
    'reason',
    'transcriptUrl',
    'messageId',
    'threadId',
    'details',
    'rawBody',
    'preferences',
    'usableIdentifiers',
    // credentials
    'authorization',
    'key',
    'token',
    'apiKey',
    'secret',
    'password',
    'cookie',
    'cookies',
  ].map((key) => key.toLowerCase()),
);

/** Keys Powertools itself writes, whose values are ours and never personal. */
const safeKeys = new Set([
  'level',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
  'correlation_id',
  'requestId',
  'routeKey',
  'clientId',
]);

/** Not `node_modules/@smithy/...`: an address needs a local part before its `@`. */
const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** `+44 20 7946 0018`, `020 7946 0018`, `(020) 7946-0018`, `447946001800`: 7+ digits in phone punctuation. */
const phonePattern = /(?:\+|\b0|\(0)[\d\s().-]{6,}\d|\b\d{10,15}\b/g;

export function redactText(text: string): string {
  return text.replace(emailPattern, redacted).replace(phonePattern, redacted);
}

export function redactForLogs(key: string, value: unknown): unknown {
  if (key !== '' && personalKeys.has(key.toLowerCase())) return value === undefined || value === null ? value : redacted;
  if (typeof value === 'string' && !safeKeys.has(key)) return redactText(value);
  return value;
}
