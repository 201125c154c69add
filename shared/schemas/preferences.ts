/** A customer's contact preferences as set-preferences takes and answers them (per identifier, so phone numbers are parsed). */
import * as z from 'zod';
import { channelSchema, credentialSource, customerIdSchema } from './common.ts';
import { contactChannelSchema } from './customer.ts';
import { emailSchema, phoneSchema } from './identifiers.ts';

const permissionSchema = z.enum(['opted_in', 'opted_out']);
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM');
const timeZoneSchema = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as Europe/London' },
);

const identifierPermissionFields = {
  channels: z.partialRecord(contactChannelSchema, permissionSchema).default({}),
  marketing: permissionSchema.nullable().default(null).meta({ description: 'opted_out: never market to this address' }),
};

export const preferencesInputSchema = z
  .object({
    channels: z.partialRecord(contactChannelSchema, permissionSchema).default({}),
    preferredChannel: contactChannelSchema.nullable().default(null),
    quietHours: z.object({ start: clockTime, end: clockTime, timeZone: timeZoneSchema }).strict().nullable().default(null),
    identifiers: z
      .array(
        z.discriminatedUnion('type', [
          z.object({ type: z.literal('phone'), value: phoneSchema, ...identifierPermissionFields }).strict(),
          z.object({ type: z.literal('email'), value: emailSchema, ...identifierPermissionFields }).strict(),
        ]),
      )
      .max(20)
      // Two entries for one identifier (in two formats, say) would leave which permission holds to chance.
      .superRefine((identifiers, context) => {
        const seen = new Set<string>();
        identifiers.forEach(({ type, value }, index) => {
          const key = `${type}#${value}`;
          if (seen.has(key)) context.addIssue({ code: 'custom', path: [index, 'value'], message: 'names an identifier given before in this request' });
          seen.add(key);
        });
      })
      .default([]),
    receivedVia: channelSchema.meta({ description: 'Required: the channel through which the customer told us', example: 'call' }),
    source: credentialSource,
  })
  .strict()
  .meta({ id: 'PreferencesInput' });

export const preferencesResultSchema = z
  .object({
    customerId: customerIdSchema,
    touchpointId: z.string(),
    preferences: z.object({
      channels: z.partialRecord(contactChannelSchema, permissionSchema),
      preferredChannel: contactChannelSchema.nullable(),
      quietHours: z.object({ start: z.string(), end: z.string(), timeZone: z.string() }).nullable(),
      updatedAt: z.string(),
    }),
    changes: z.array(z.string()).meta({ description: 'What changed, in words (also the summary of the touchpoint that records it)' }),
  })
  .meta({ id: 'PreferencesResult' });
