import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

/**
 * Segment's HTTP Tracking API, as analytics.js and @segment/analytics-node call it: one call per
 * path (`/v1/page` or analytics.js's `/v1/p`, ...) or several in `/v1/batch` (`/v1/b`), JSON sent
 * as application/json or text/plain (analytics.js avoids a CORS preflight that way).
 */
const callTypes = ['identify', 'page', 'track', 'alias', 'group', 'screen'] as const;
export type CallType = (typeof callTypes)[number];

const callOfPath: Record<string, CallType | 'batch'> = {
  identify: 'identify',
  i: 'identify',
  page: 'page',
  p: 'page',
  track: 'track',
  t: 'track',
  alias: 'alias',
  a: 'alias',
  group: 'group',
  g: 'group',
  screen: 'screen',
  s: 'screen',
  batch: 'batch',
  b: 'batch',
  import: 'batch',
};

export function callOf(pathSegment: string | undefined): CallType | 'batch' | undefined {
  return pathSegment === undefined ? undefined : callOfPath[pathSegment];
}

const pageFields = z.looseObject({
  url: z.string().max(2048).nullish(),
  title: z.string().max(500).nullish(),
  referrer: z.string().max(2048).nullish(),
});

export const segmentMessageSchema = z
  .looseObject({
    type: z.enum(callTypes).optional(),
    // analytics.js and analytics-node make one per message; it is what a retry repeats.
    messageId: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/)
      .optional(),
    anonymousId: z.string().min(1).max(200).nullish(),
    /** A track call's event name ("Order Completed"). */
    event: z.string().min(1).max(200).optional(),
    userId: z.union([z.string().min(1).max(200), z.number()]).nullish(),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    properties: pageFields.optional(),
    context: z
      .looseObject({
        page: pageFields.optional(),
        userAgent: z.string().max(1000).optional(),
        traits: z.looseObject({ email: z.string().max(320).optional() }).optional(),
      })
      .optional(),
    traits: z.looseObject({ email: z.string().max(320).optional() }).optional(),
  })
  .refine((message) => message.anonymousId || (message.userId !== undefined && message.userId !== null), {
    message: 'needs a userId or an anonymousId',
  });

export type SegmentMessage = z.infer<typeof segmentMessageSchema>;

export const segmentRequestSchema = z.looseObject({
  writeKey: z.string().max(200).optional(),
  batch: z.array(z.unknown()).max(2500).optional(),
});

/** The write key of a request: the body's `writeKey`, else the HTTP Basic user (analytics-node sends `writeKey:`). */
export function writeKeyOf(body: { writeKey?: string | undefined }, authorization: string | undefined): string | undefined {
  if (body.writeKey) return body.writeKey;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  return decoded.slice(0, decoded.includes(':') ? decoded.indexOf(':') : undefined);
}

/** Compared as digests, so neither the length nor the content of the key leaks through timing. */
export function isWriteKey(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The identifiers a message carries: the browser's anonymous id, the site's user id (as the
 * externalId `segment:<userId>`), and an email trait. A page call after an identify carries both
 * ids, which is how the ingest joins the anonymous visitor to the known customer.
 */
export function identifiersOf(message: SegmentMessage): Record<string, unknown> {
  const email = message.context?.traits?.email ?? message.traits?.email;
  const userId = message.userId === undefined || message.userId === null ? undefined : String(message.userId);
  return {
    ...(message.anonymousId ? { anonymousId: message.anonymousId } : {}),
    ...(userId ? { externalId: { system: 'segment', id: userId } } : {}),
    ...(email ? { email } : {}),
  };
}

/** A page call as a web visit; undefined when it names no page URL (nothing to show on the card). */
export function webVisitOf(message: SegmentMessage): Record<string, unknown> | undefined {
  const url = message.properties?.url ?? message.context?.page?.url;
  if (!url) return undefined;
  const title = message.properties?.title ?? message.context?.page?.title;
  const referrer = message.properties?.referrer ?? message.context?.page?.referrer;
  return {
    channel: 'web_visit',
    identifiers: identifiersOf(message),
    ...(message.timestamp ? { occurredAt: message.timestamp } : {}),
    ...(title ? { summary: `Viewed ${title}`.slice(0, 500) } : {}),
    details: {
      url,
      ...(title ? { title } : {}),
      ...(referrer ? { referrer } : {}),
      ...(message.context?.userAgent ? { userAgent: message.context.userAgent } : {}),
    },
  };
}
