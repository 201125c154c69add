import type { Identifier } from '../domain/identifiers.ts';
import { toIdentifierList } from '../schemas/identifiers.ts';

type Item = Record<string, unknown>;

/** What an erased customer's id or identifier value becomes in another customer's record. */
export const redactedMark = '[erased]';

/** Attributes that are keys or bookkeeping, never personal data: left as they are. */
const untouched = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'entity', 'touchpointId', 'mergeId', 'expiresAt']);

export interface TextRedaction {
  path: string;
  /** The text as it was: an export shows it, an erase replaces it. */
  value: string;
}

/**
 * Replaces every occurrence of the needles (erased ids and identifier values) in the strings of a
 * value, at any depth, and drops map entries whose key holds one (an identifier-keyed permission,
 * say). Returns the value unchanged (the same object) when nothing matched.
 */
export function redactText(value: unknown, needles: readonly string[], path = '', found: TextRedaction[] = []): unknown {
  const wanted = needles.filter((needle) => needle.length > 0);
  if (typeof value === 'string') {
    if (!wanted.some((needle) => value.includes(needle))) return value;
    found.push({ path, value });
    return wanted.reduce((text, needle) => text.split(needle).join(redactedMark), value);
  }
  if (Array.isArray(value)) {
    const members = value.map((member, index) => redactText(member, wanted, `${path}[${index}]`, found));
    return members.some((member, index) => member !== value[index]) ? members : value;
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const entries: Array<[string, unknown]> = [];
    for (const [key, member] of Object.entries(value)) {
      const memberPath = path ? `${path}.${key}` : key;
      if (!path && untouched.has(key)) {
        entries.push([key, member]);
        continue;
      }
      if (wanted.some((needle) => key.includes(needle))) {
        found.push({ path: `${memberPath}[key]`, value: key });
        changed = true;
        continue;
      }
      const redacted = redactText(member, wanted, memberPath, found);
      if (redacted !== member) changed = true;
      entries.push([key, redacted]);
    }
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}

export interface TouchpointRedaction {
  /** The touchpoint as it stays with its customer, or undefined when nothing in it is the erased person's. */
  redacted: Item | undefined;
  /** What is the erased person's in it: their identifiers, their place among ambiguous candidates, text naming them. */
  removed: { identifiers: Item; otherCandidates: string[]; sharedIdentifiers: Identifier[]; text: TextRedaction[] };
}

/**
 * Another customer's touchpoint, with what belongs to the erased person taken out: the identifier
 * entries that are theirs (`isErased`), their ids among the ambiguous candidates, and any text
 * quoting their ids or values. The touchpoint itself stays: it is the other customer's record.
 */
export function redactTouchpoint(
  item: Item,
  ids: ReadonlySet<string>,
  isErased: (identifier: Identifier) => boolean,
  needles: readonly string[],
): TouchpointRedaction {
  const removed: TouchpointRedaction['removed'] = { identifiers: {}, otherCandidates: [], sharedIdentifiers: [], text: [] };
  const identifiers: Item = {};
  const rawValues: string[] = [];
  for (const [type, value] of Object.entries((item.identifiers as Item | undefined) ?? {})) {
    const erased = type === 'customerId' ? ids.has(value as string) : identifiersOf({ [type]: value }).some(isErased);
    if (erased) {
      removed.identifiers[type] = value;
      rawValues.push(...stringsIn(value));
    } else identifiers[type] = value;
  }
  const ambiguity = item.ambiguity as { otherCandidates?: string[]; sharedIdentifiers?: Identifier[] } | undefined;
  let keptAmbiguity = ambiguity;
  if (ambiguity) {
    const otherCandidates = ambiguity.otherCandidates ?? [];
    const sharedIdentifiers = ambiguity.sharedIdentifiers ?? [];
    removed.otherCandidates = otherCandidates.filter((customerId) => ids.has(customerId));
    removed.sharedIdentifiers = sharedIdentifiers.filter(isErased);
    keptAmbiguity = {
      ...ambiguity,
      otherCandidates: otherCandidates.filter((customerId) => !ids.has(customerId)),
      sharedIdentifiers: sharedIdentifiers.filter((identifier) => !isErased(identifier)),
    };
  }
  const { identifiers: _identifiers, ambiguity: _ambiguity, ...rest } = item;
  const text = redactText(rest, [...needles, ...rawValues], '', removed.text) as Item;
  const changed =
    Object.keys(removed.identifiers).length > 0 ||
    removed.otherCandidates.length > 0 ||
    removed.sharedIdentifiers.length > 0 ||
    removed.text.length > 0;
  return {
    redacted: changed ? { ...text, identifiers, ...(keptAmbiguity ? { ambiguity: keptAmbiguity } : {}) } : undefined,
    removed,
  };
}

/** The identifiers of a touchpoint's `identifiers` map, normalised; none for a malformed one. */
export function identifiersOf(identifiers: unknown): Identifier[] {
  try {
    return toIdentifierList((identifiers ?? {}) as Parameters<typeof toIdentifierList>[0]);
  } catch {
    return [];
  }
}

/** The text forms of a touchpoint's identifier value: the value, or an external id's own id (never its system's name). */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? [id] : [];
}
