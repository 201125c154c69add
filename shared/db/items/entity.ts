import type * as z from '../../schemas/zod.ts';
import type { Key } from '../keys.ts';

type Item = Record<string, unknown>;

/**
 * One item type of the single table, declared once (in the spirit of ElectroDB's entities): the
 * `entity` marker its items carry, their attributes (a zod schema, from which the item's type is
 * derived) and the key they live under (key shapes themselves stay in keys.ts). Stores write items
 * through `item()` and read them back through `parse()`, never by casting; the stream mapper reads
 * images through the same schemas.
 */
export function defineEntity<const Name extends string, Attributes extends z.ZodMiniObject, KeyArgs extends unknown[]>(definition: {
  name: Name;
  attributes: Attributes;
  key: (...args: KeyArgs) => Key;
}) {
  const { name, attributes, key } = definition;
  return {
    name,
    attributes,
    key,
    /** An item read back, checked and typed; throws (a 500, logged) for an item this code never wrote. */
    parse: (item: Item): z.output<Attributes> => attributes.parse(item),
    is: (item: Item | undefined): item is Item => item?.entity === name,
    /** The item to write: its key, its marker, its attributes (and any index keys after them). */
    item: <Extra extends Item = Record<never, never>>(itemKey: Key, values: z.input<Attributes>, extra?: Extra) => ({
      ...itemKey,
      entity: name,
      ...values,
      ...extra,
    }),
  };
}

/** A value stored as the domain wrote it, checked only for its outline (the domain type holds its detail). */
export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
