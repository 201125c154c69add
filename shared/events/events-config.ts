import * as z from '../schemas/zod.ts';
import { environmentSection } from '../config/config.ts';

const eventsEnvironmentSchema = z.object({
  EVENT_BUS_NAME: z.string().check(z.minLength(1, 'EVENT_BUS_NAME must name the EventBridge bus')),
  /** Set from the CDK context flag `eventsIncludePersonalData`; `false` (the default) keeps events ids-only. */
  EVENTS_INCLUDE_PERSONAL_DATA: z.pipe(
    z._default(z.enum(['true', 'false'], 'EVENTS_INCLUDE_PERSONAL_DATA must be true or false'), 'false'),
    z.transform((value) => value === 'true'),
  ),
});

export type EventsConfig = z.output<typeof eventsEnvironmentSchema>;

/** The event publisher's environment, read once; a missing or malformed variable fails loudly. */
export const eventsConfig: () => EventsConfig = environmentSection('configuration', eventsEnvironmentSchema);
