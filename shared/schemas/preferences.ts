/** A customer's contact preferences as set-preferences takes and answers them (per identifier, so phone numbers are parsed). */
import * as z from './zod.ts';
import { channelSchema, credentialSource, customerIdSchema } from './common.ts';
import { contactChannelSchema } from './customer.ts';
import { emailSchema, phoneSchema } from './identifiers.ts';

const permissionSchema = z.enum(['opted_in', 'opted_out']);
const clockTime = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM'));
const timeZoneSchema = z.string().check(
  z.refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en-GB', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an IANA time zone such as Europe/London' },
  ),
);

const identifierPermissionFields = {
  channels: z._default(z.partialRecord(contactChannelSchema, permissionSchema), {}),
  marketing: z.withMeta(z._default(z.nullable(permissionSchema), null), { description: 'opted_out: never market to this address' }),
};

export const preferencesInputSchema = z.withMeta(
  z.strictObject({
    channels: z._default(z.partialRecord(contactChannelSchema, permissionSchema), {}),
    preferredChannel: z._default(z.nullable(contactChannelSchema), null),
    quietHours: z._default(z.nullable(z.strictObject({ start: clockTime, end: clockTime, timeZone: timeZoneSchema })), null),
    identifiers: z._default(
      z
        .array(
          z.discriminatedUnion('type', [
            z.strictObject({ type: z.literal('phone'), value: phoneSchema, ...identifierPermissionFields }),
            z.strictObject({ type: z.literal('email'), value: emailSchema, ...identifierPermissionFields }),
          ]),
        )
        .check(
          z.maxLength(20), // Two entries for one identifier (in two formats, say) would leave which permission holds to chance.
          z.superRefine((identifiers, context) => {
            const seen = new Set<string>();
            identifiers.forEach(({ type, value }, index) => {
              const key = `${type}#${value}`;
              if (seen.has(key)) context.addIssue({ code: 'custom', path: [index, 'value'], message: 'names an identifier given before in this request' });
              seen.add(key);
            });
          }),
        ),
      [],
    ),
    receivedVia: z.withMeta(channelSchema, { description: 'Required: the channel through which the customer told us', example: 'call' }),
    source: credentialSource,
  }),
  { id: 'PreferencesInput' },
);

export const preferencesResultSchema = z.withMeta(
  z.object({
    customerId: customerIdSchema,
    touchpointId: z.string(),
    preferences: z.object({
      channels: z.partialRecord(contactChannelSchema, permissionSchema),
      preferredChannel: z.nullable(contactChannelSchema),
      quietHours: z.nullable(z.object({ start: z.string(), end: z.string(), timeZone: z.string() })),
      updatedAt: z.string(),
    }),
    changes: z.withMeta(z.array(z.string()), { description: 'What changed, in words (also the summary of the touchpoint that records it)' }),
  }),
  { id: 'PreferencesResult' },
);
