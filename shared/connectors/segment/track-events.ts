import * as z from '../../schemas/zod.ts';
import { channels } from '../../domain/channels.ts';
import { identifiersOf, type SegmentMessage } from './tracking-api.ts';

/**
 * Which Segment `track` events become touchpoints, and how (docs/connectors.md). Configured as JSON
 * (`SEGMENT_TRACK_EVENTS`), keyed by event name; an event not named is accepted and ignored.
 * A field of `details` (and `value`) is either a fixed value or `{ "from": "<path>" }`, a dotted
 * path into the message (`properties.invoice_number`, `context.page.url`); a path the message
 * does not have leaves the field out, and the ingest then refuses a touchpoint missing a required
 * one (that message is skipped, the rest kept).
 */
const fromMessage = z.strictObject({ from: z.string().check(z.regex(/^[\w$-]+(\.[\w$-]+)*$/, 'must be a dotted path such as properties.invoice_number')) });
const fixed = z.union([z.string().check(z.maxLength(2048)), z.number(), z.boolean()]);

export const trackEventMappingSchema = z.strictObject({
  channel: z.enum(channels),
  summary: z.optional(z.string().check(z.minLength(1), z.maxLength(500))),
  value: z.optional(z.union([z.number().check(z.gte(0)), fromMessage])),
  details: z._default(z.record(z.string().check(z.minLength(1), z.maxLength(100)), z.union([fixed, fromMessage])), {}),
});

export const trackEventsSchema = z.record(z.string().check(z.minLength(1), z.maxLength(200)), trackEventMappingSchema);

export type TrackEvents = z.output<typeof trackEventsSchema>;

export const trackEventsVariable = 'SEGMENT_TRACK_EVENTS';

/** Parses the configuration; throws naming the variable and what is wrong, so a bad mapping fails loudly (at synth in CDK, at cold start in Lambda). */
export function parseTrackEvents(text: string | undefined): TrackEvents {
  if (text === undefined || text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`Invalid configuration: ${trackEventsVariable} is not JSON`);
  }
  const parsed = trackEventsSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `Invalid configuration: ${trackEventsVariable} ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

function valueAt(message: SegmentMessage, path: string): unknown {
  let current: unknown = message;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function resolve(message: SegmentMessage, field: z.output<typeof fixed> | z.output<typeof fromMessage>): unknown {
  return typeof field === 'object' ? valueAt(message, field.from) : field;
}

/** The touchpoint a mapped track event stands for; undefined for an event the mapping does not name. */
export function trackTouchpointOf(message: SegmentMessage & { event?: unknown }, events: TrackEvents): Record<string, unknown> | undefined {
  const mapping = typeof message.event === 'string' && Object.hasOwn(events, message.event) ? events[message.event] : undefined;
  if (!mapping) return undefined;
  const details = Object.fromEntries(
    Object.entries(mapping.details).flatMap(([name, field]) => {
      const value = resolve(message, field);
      return value === undefined || value === null ? [] : [[name, value]];
    }),
  );
  const value = mapping.value === undefined ? undefined : resolve(message, mapping.value);
  return {
    channel: mapping.channel,
    identifiers: identifiersOf(message),
    ...(message.timestamp ? { occurredAt: message.timestamp } : {}),
    summary: mapping.summary ?? String(message.event).slice(0, 500),
    // Segment's revenue and total properties are often sent as strings.
    ...(value === undefined || value === null ? {} : { value: typeof value === 'string' && value.trim() !== '' ? Number(value) : value }),
    details,
  };
}
