import { createVerify, X509Certificate } from 'node:crypto';
import * as z from '../../schemas/zod.ts';

/**
 * Amazon SNS messages posted to an HTTPS subscription, and their verification as SNS documents it
 * ("Verifying the signatures of Amazon SNS messages"): the signing certificate is fetched only from
 * an SNS host of the topic's own region, and the message's documented fields, in their documented
 * order, must verify against it (SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2).
 */
const topicArnSchema = z.string().check(z.regex(/^arn:aws[\w-]*:sns:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:[\w-]{1,256}$/, 'must be an SNS topic ARN'));

const common = {
  MessageId: z.string().check(z.minLength(1), z.maxLength(100)),
  TopicArn: topicArnSchema,
  Message: z.string(),
  Timestamp: z.string().check(z.minLength(1), z.maxLength(40)),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().check(z.minLength(1), z.maxLength(4096)),
  SigningCertURL: z.string().check(z.maxLength(2048)),
};
const subscription = { ...common, Token: z.string().check(z.minLength(1), z.maxLength(2048)), SubscribeURL: z.string().check(z.maxLength(2048)) };

export const snsMessageSchema = z.discriminatedUnion('Type', [
  z.looseObject({
    Type: z.literal('Notification'),
    ...common,
    Subject: z.optional(z.string().check(z.maxLength(100))),
    UnsubscribeURL: z.optional(z.string().check(z.maxLength(2048))),
  }),
  z.looseObject({ Type: z.literal('SubscriptionConfirmation'), ...subscription }),
  z.looseObject({ Type: z.literal('UnsubscribeConfirmation'), ...subscription }),
]);

export type SnsMessage = z.infer<typeof snsMessageSchema>;

/** The region of an SNS topic ARN (`arn:aws:sns:<region>:<account>:<name>`). */
export function regionOfTopic(topicArn: string): string {
  return topicArn.split(':')[3] ?? '';
}

const snsHost = /^sns\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;

/**
 * An https URL on an SNS host of the given region, else undefined: the only place a signing
 * certificate is fetched from, and the only place a subscription is confirmed at (anyone can post
 * a message naming a URL of their choosing, and it is fetched before its signature is known good).
 */
export function snsUrl(raw: string, region: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const host = snsHost.exec(url.hostname);
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '' || host?.[1] !== region) return undefined;
  return url;
}

/** The text SNS signs: each documented field that is present, as `name\nvalue\n`, in this order. */
export function stringToSign(message: SnsMessage): string {
  const fields =
    message.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  const values = message as Record<string, unknown>;
  return fields
    .filter((field) => typeof values[field] === 'string')
    .map((field) => `${field}\n${values[field] as string}\n`)
    .join('');
}

export type SnsCheck = { valid: true } | { valid: false; reason: 'certificate-url' | 'certificate' | 'signature' };

/** Fetches a document's text (the certificate's PEM, a SubscribeURL's answer); throws when it cannot. */
export type FetchText = (url: URL) => Promise<string>;

export const fetchText: FetchText = async (url) => {
  // A slow SNS endpoint must not hold the Lambda: SNS retries the delivery anyway.
  const response = await fetch(url, { signal: AbortSignal.timeout(3_000), redirect: 'error' });
  if (!response.ok) throw new Error(`GET ${url.hostname}${url.pathname} answered ${response.status}`);
  return response.text();
};

/**
 * A verifier holding its own certificate cache: SNS signs with a handful of certificates, so a warm
 * Lambda fetches each once. A failed fetch is not cached, so the next delivery tries again.
 */
export function snsVerifier(fetchDocument: FetchText) {
  const certificates = new Map<string, Promise<X509Certificate>>();

  function certificate(url: URL): Promise<X509Certificate> {
    const key = url.href;
    let cached = certificates.get(key);
    if (!cached) {
      cached = fetchDocument(url).then((pem) => new X509Certificate(pem));
      cached.catch(() => certificates.delete(key));
      certificates.set(key, cached);
    }
    return cached;
  }

  return async function verify(message: SnsMessage, now: Date): Promise<SnsCheck> {
    const url = snsUrl(message.SigningCertURL, regionOfTopic(message.TopicArn));
    if (!url?.pathname.endsWith('.pem')) return { valid: false, reason: 'certificate-url' };
    let signer: X509Certificate;
    try {
      signer = await certificate(url);
    } catch {
      return { valid: false, reason: 'certificate' };
    }
    if (now < new Date(signer.validFrom) || now > new Date(signer.validTo)) return { valid: false, reason: 'certificate' };
    const verifier = createVerify(message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    verifier.update(stringToSign(message), 'utf8');
    return verifier.verify(signer.publicKey, message.Signature, 'base64') ? { valid: true } : { valid: false, reason: 'signature' };
  };
}
