import { createHash } from 'node:crypto';
import { DateTime, IANAZone } from 'luxon';
import * as z from 'zod';
import type { components } from '../../typescript/src/index.ts';

type Channel = components['schemas']['TouchpointInput']['channel'];
type Identifiers = components['schemas']['Identifiers'];

/** `satisfies` keeps this list equal to the API document's: a channel added there fails the type-check until it is listed here. */
const channelNames = {
  call: true,
  email: true,
  invoice_query: true,
  web_visit: true,
  letter: true,
  chat: true,
  sms: true,
  in_person: true,
} as const satisfies Record<Channel, true>;
export const channels = Object.keys(channelNames) as [Channel, ...Channel[]];

const column = z.string().trim().min(1, 'names a column of the header');
const jsonValue: z.ZodType<unknown> = z.json();

/**
 * A value read from a row: a column's text, a column read as a number or a boolean (or through a
 * table of values, such as the export's "Paid" to the API's "resolved"), a constant, or a template
 * naming columns in braces.
 */
const fieldSchema = z.union([
  column,
  z.strictObject({
    column,
    type: z.enum(['string', 'number', 'integer', 'boolean']).default('string'),
    /** The export's words for the API's values: a cell not listed refuses the row. */
    values: z.record(z.string(), jsonValue).optional(),
    /** `,` for exports written as 1.234,56. */
    decimalSeparator: z.enum(['.', ',']).default('.'),
  }),
  z.strictObject({ value: jsonValue }),
  z.strictObject({ template: z.string().min(1) }),
]);

const detailsSchema = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/), fieldSchema, {
    error: (issue) => (issue.code === 'invalid_key' ? 'must be a details path such as amount.value' : undefined),
  })
  .refine((details) => Object.keys(details).every((path) => prefixesOf(path).every((prefix) => !Object.hasOwn(details, prefix))), {
    message: 'sets a member and a path inside it (amount and amount.value): name the inner paths only',
  });

const numberSchema = z.union([column, z.strictObject({ column, decimalSeparator: z.enum(['.', ',']).default('.') })]);

export const mapSchema = z
  .strictObject({
    /** The export's field separator (`;` for spreadsheets saved in many European locales); `--delimiter` overrides it. */
    delimiter: z.string().min(1).max(4).default(','),
    channel: z.union([z.enum(channels), z.strictObject({ column, values: z.record(z.string(), z.enum(channels)).optional() })]),
    identifiers: z
      .strictObject({
        phone: column.optional(),
        email: column.optional(),
        accountId: column.optional(),
        invoiceNumber: column.optional(),
        anonymousId: column.optional(),
        customerId: column.optional(),
        /** The id another system (a CRM, Stripe) gives the customer: a fixed system name, the id from a column. */
        externalId: z
          .strictObject({ system: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a system name of letters, digits, _ . or -'), column })
          .optional(),
      } satisfies Record<keyof Identifiers, z.ZodType>)
      .refine((identifiers) => Object.values(identifiers).some((value) => value !== undefined), {
        message: 'names the column of at least one identifier (phone, email, accountId, invoiceNumber, anonymousId, customerId, externalId)',
      }),
    occurredAt: z
      .strictObject({
        column,
        /** `iso` (ISO 8601), `unix` (seconds), `unix-ms`, or a Luxon format such as `dd/MM/yyyy HH:mm`. */
        format: z.string().min(1).default('iso'),
        /** The zone of times written without an offset. */
        timeZone: z
          .string()
          .default('UTC')
          .refine((zone) => IANAZone.isValidZone(zone), 'is not an IANA time zone such as Europe/London'),
      })
      .optional(),
    summary: fieldSchema.optional(),
    value: numberSchema.optional(),
    /** Paths into the details (`amount.value` for a nested member), each read from the row. */
    details: detailsSchema.default({}),
    /** More details for the rows of one channel, when an export mixes channels whose details differ. */
    detailsByChannel: z.partialRecord(z.enum(channels), detailsSchema).default({}),
    /**
     * What makes a row the same event when it is sent again: a column of the export's own event id,
     * or (by default) a digest of the columns the map reads, so an export that overlaps the last
     * one replays the rows they share.
     */
    idempotencyKey: z
      .union([
        z.strictObject({
          column,
          prefix: z
            .string()
            .regex(/^[\x21-\x7e]*$/)
            .default(''),
        }),
        z.strictObject({ fromColumns: z.array(column).min(1) }),
      ])
      .optional(),
  })
  .refine(
    (map) =>
      Object.values(map.detailsByChannel).every((byChannel) => {
        const merged = { ...map.details, ...byChannel };
        return Object.keys(merged).every((path) => prefixesOf(path).every((prefix) => !Object.hasOwn(merged, prefix)));
      }),
    { path: ['detailsByChannel'], message: 'sets a member that details sets a path inside (or the other way round)' },
  );

/** `a` and `a.b` for `a.b.c`. */
function prefixesOf(path: string): string[] {
  const names = path.split('.');
  return names.slice(1).map((_, index) => names.slice(0, index + 1).join('.'));
}

export type ImportMap = z.infer<typeof mapSchema>;
type Field = z.infer<typeof fieldSchema>;

/** A touchpoint as the batch route takes it; the source is the credential's name, so it is left out. */
export interface MappedTouchpoint {
  channel: Channel;
  identifiers: Identifiers;
  idempotencyKey: string;
  occurredAt?: string;
  summary?: string;
  value?: number;
  details: Record<string, unknown>;
}

export type MappedRow = { kind: 'mapped'; touchpoint: MappedTouchpoint } | { kind: 'refused'; detail: string; field: string };

export class MapError extends Error {}

/** Parses a map file's JSON, naming each problem by its path in the file. */
export function parseMap(json: unknown): ImportMap {
  const parsed = mapSchema.safeParse(json);
  if (!parsed.success) {
    throw new MapError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'the map'} ${issue.message}`).join('; '));
  }
  return parsed.data;
}

/** A row as the header names its cells. */
export type Row = ReadonlyMap<string, string>;

class RowRefusal extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The map bound to a header: every column it names is checked once, then each row maps without lookups failing. */
export function compileMap(map: ImportMap, header: readonly string[]): (row: Row) => MappedRow {
  const known = new Set(header);
  const duplicated = header.filter((name, index) => header.indexOf(name) !== index);
  const missing = [...new Set(columnsOf(map))].filter((name) => !known.has(name) || duplicated.includes(name));
  if (missing.length > 0) {
    throw new MapError(`The map names column(s) the header does not hold once: ${missing.join(', ')} (the header has ${header.join(', ')})`);
  }
  const keyColumns = map.idempotencyKey && 'fromColumns' in map.idempotencyKey ? map.idempotencyKey.fromColumns : [...new Set(columnsOf(map))].sort();

  return (row) => {
    try {
      const channel = channelOf(map.channel, row);
      const touchpoint: MappedTouchpoint = {
        channel,
        identifiers: identifiersOf(map.identifiers, row),
        idempotencyKey: keyOf(map, keyColumns, row),
        details: detailsOf({ ...map.details, ...map.detailsByChannel[channel] }, row),
      };
      const occurredAt = map.occurredAt ? dateOf(map.occurredAt, row) : undefined;
      if (occurredAt !== undefined) touchpoint.occurredAt = occurredAt;
      const summary = map.summary ? fieldOf(map.summary, row, 'summary') : undefined;
      if (summary !== undefined) touchpoint.summary = String(summary);
      const value = map.value ? numberOf(typeof map.value === 'string' ? { column: map.value, decimalSeparator: '.' } : map.value, row, 'value') : undefined;
      if (value !== undefined) touchpoint.value = value;
      return { kind: 'mapped', touchpoint };
    } catch (error) {
      if (error instanceof RowRefusal) return { kind: 'refused', field: error.field, detail: error.message };
      throw error;
    }
  };
}

function columnsOf(map: ImportMap): string[] {
  const ofField = (field: Field): string[] => {
    if (typeof field === 'string') return [field];
    if ('column' in field) return [field.column];
    if ('template' in field) return templateColumns(field.template);
    return [];
  };
  const { externalId, ...named } = map.identifiers;
  return [
    ...(typeof map.channel === 'object' ? [map.channel.column] : []),
    ...Object.values(named).filter((name): name is string => name !== undefined),
    ...(externalId ? [externalId.column] : []),
    ...(map.occurredAt ? [map.occurredAt.column] : []),
    ...(map.summary ? ofField(map.summary) : []),
    ...(map.value ? [typeof map.value === 'string' ? map.value : map.value.column] : []),
    ...[map.details, ...Object.values(map.detailsByChannel)].flatMap((details) => Object.values(details ?? {}).flatMap(ofField)),
    ...(map.idempotencyKey ? ('column' in map.idempotencyKey ? [map.idempotencyKey.column] : map.idempotencyKey.fromColumns) : []),
  ];
}

const placeholder = /\{([^{}]+)\}/g;

function templateColumns(template: string): string[] {
  return [...template.matchAll(placeholder)].map((match) => match[1] as string);
}

/** A cell, trimmed; an empty one is absent (exports write "" for "no value"). */
function cell(row: Row, name: string): string | undefined {
  const text = row.get(name)?.trim();
  return text === '' ? undefined : text;
}

function channelOf(spec: ImportMap['channel'], row: Row): Channel {
  if (typeof spec === 'string') return spec;
  const text = cell(row, spec.column);
  if (text === undefined) throw new RowRefusal('channel', `${spec.column} is empty: no channel`);
  const channel = spec.values ? spec.values[text] : channels.find((name) => name === text);
  if (!channel) {
    const expected = spec.values ? Object.keys(spec.values) : channels;
    throw new RowRefusal('channel', `${spec.column} "${text}" is not a known channel (expected one of ${expected.join(', ')})`);
  }
  return channel;
}

function identifiersOf(spec: ImportMap['identifiers'], row: Row): Identifiers {
  const { externalId, ...named } = spec;
  const identifiers: Identifiers = {};
  for (const [name, columnName] of Object.entries(named) as [Exclude<keyof Identifiers, 'externalId'>, string | undefined][]) {
    const text = columnName === undefined ? undefined : cell(row, columnName);
    if (text !== undefined) identifiers[name] = text;
  }
  const externalIdText = externalId && cell(row, externalId.column);
  if (externalId && externalIdText !== undefined) identifiers.externalId = { system: externalId.system, id: externalIdText };
  // An empty set is sent as is: the API's refusal names every identifier it takes.
  return identifiers;
}

function keyOf(map: ImportMap, keyColumns: readonly string[], row: Row): string {
  const spec = map.idempotencyKey;
  if (spec && 'column' in spec) {
    const text = cell(row, spec.column);
    if (text === undefined) throw new RowRefusal('idempotencyKey', `${spec.column} is empty: the row has no key to be imported exactly once by`);
    return `${spec.prefix}${text}`;
  }
  // Column names go into the digest with their values, so that two columns swapping values is another row.
  const content = JSON.stringify(keyColumns.map((name) => [name, cell(row, name) ?? '']));
  return `csv-${createHash('sha256').update(content).digest('base64url')}`;
}

function dateOf(spec: NonNullable<ImportMap['occurredAt']>, row: Row): string | undefined {
  const text = cell(row, spec.column);
  if (text === undefined) return undefined;
  const options = { zone: spec.timeZone, setZone: true };
  const parsed =
    spec.format === 'iso'
      ? DateTime.fromISO(text, options)
      : spec.format === 'unix' || spec.format === 'unix-ms'
        ? /^\d+(\.\d+)?$/.test(text)
          ? DateTime.fromMillis(Number(text) * (spec.format === 'unix' ? 1000 : 1), options)
          : DateTime.invalid('not a number')
        : DateTime.fromFormat(text, spec.format, options);
  if (!parsed.isValid) throw new RowRefusal('occurredAt', `${spec.column} "${text}" is not a date in the format ${spec.format}`);
  return parsed.toUTC().toISO({ suppressMilliseconds: true });
}

const numberPatterns = {
  '.': { pattern: /^[-+]?\d{1,3}([, ']\d{3})*(\.\d+)?$|^[-+]?\d+(\.\d+)?$/, grouping: /[, ']/g },
  ',': { pattern: /^[-+]?\d{1,3}([. ']\d{3})*(,\d+)?$|^[-+]?\d+(,\d+)?$/, grouping: /[. ']/g },
} as const;

function numberOf(spec: { column: string; decimalSeparator: '.' | ',' }, row: Row, field: string): number | undefined {
  const text = cell(row, spec.column);
  if (text === undefined) return undefined;
  // A non-breaking space is how many locales group thousands.
  const compact = text.replace(/[\u00a0\u202f]/g, ' ');
  const { pattern, grouping } = numberPatterns[spec.decimalSeparator];
  if (!pattern.test(compact)) throw new RowRefusal(field, `${spec.column} "${text}" is not a number (decimal separator "${spec.decimalSeparator}")`);
  return Number(compact.replace(grouping, '').replace(',', '.'));
}

function fieldOf(spec: Field, row: Row, field: string): unknown {
  if (typeof spec === 'string') return cell(row, spec);
  if ('value' in spec) return spec.value;
  if ('template' in spec) return spec.template.replace(placeholder, (_, name: string) => cell(row, name) ?? '').trim() || undefined;
  const text = cell(row, spec.column);
  if (text === undefined) return undefined;
  if (spec.values) {
    if (!Object.hasOwn(spec.values, text)) {
      throw new RowRefusal(field, `${spec.column} "${text}" is not one of ${Object.keys(spec.values).join(', ')}`);
    }
    return spec.values[text];
  }
  switch (spec.type) {
    case 'string':
      return text;
    case 'boolean': {
      const truth = { true: true, yes: true, y: true, '1': true, false: false, no: false, n: false, '0': false }[text.toLowerCase()];
      if (truth === undefined) throw new RowRefusal(field, `${spec.column} "${text}" is not yes or no`);
      return truth;
    }
    case 'number':
    case 'integer': {
      const number = numberOf(spec, row, field);
      if (spec.type === 'integer' && number !== undefined && !Number.isInteger(number)) {
        throw new RowRefusal(field, `${spec.column} "${text}" is not a whole number`);
      }
      return number;
    }
  }
}

function detailsOf(spec: Record<string, Field>, row: Row): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const [path, field] of Object.entries(spec)) {
    const value = fieldOf(field, row, `details.${path}`);
    if (value === undefined) continue;
    const names = path.split('.');
    let target = details;
    for (const name of names.slice(0, -1)) {
      target[name] ??= {};
      target = target[name] as Record<string, unknown>;
    }
    target[names.at(-1) as string] = value;
  }
  return details;
}
