import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from '../../schemas/zod.ts';

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
  url: z.nullish(z.string().check(z.maxLength(2048))),
  title: z.nullish(z.string().check(z.maxLength(500))),
  referrer: z.nullish(z.string().check(z.maxLength(2048))),
});

export const segmentMessageSchema = z
  .looseObject({
    type: z.optional(z.enum(callTypes)),
    // analytics.js and analytics-node make one per message; it is what a retry repeats.
    messageId: z.optional(z.string().check(z.regex(/^[\x21-\x7e]{1,200}$/))),
    anonymousId: z.nullish(z.string().check(z.minLength(1), z.maxLength(200))),
    /** A track call's event name ("Order Completed"). */
    event: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    userId: z.nullish(z.union([z.string().check(z.minLength(1), z.maxLength(200)), z.number()])),
    timestamp: z.optional(z.iso.datetime({ offset: true })),
    properties: z.optional(pageFields),
    context: z.optional(
      z.looseObject({
        page: z.optional(pageFields),
        userAgent: z.optional(z.string().check(z.maxLength(1000))),
        traits: z.optional(z.looseObject({ email: z.optional(z.string().check(z.maxLength(320))) })),
      }),
    ),
    traits: z.optional(z.looseObject({ email: z.optional(z.string().check(z.maxLength(320))) })),
  })
  .check(
    z.refine((message) => message.anonymousId || (message.userId !== undefined && message.userId !== null), {
      message: 'needs a userId or an anonymousId',
    }),
  );

export type SegmentMessage = z.infer<typeof segmentMessageSchema>;

export const segmentRequestSchema = z.looseObject({
  writeKey: z.optional(z.string().check(z.maxLength(200))),
  batch: z.optional(z.array(z.unknown()).check(z.maxLength(2500))),
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
