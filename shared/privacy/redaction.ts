import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { type Identifier, toIdentifierList } from '../domain/identifiers.ts';
import type { AttributeChanges, StoredAttributes } from '../domain/privacy-store.ts';

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
 * What finds the erased person's ids and values in text: people write them as they like, not as
 * this API stores them. So every needle matches in any letter case (an email posted as
 * `Ann.Lee@Example.com` is stored lower-cased, and ids and other values are no safer quoted in
 * another case), and a phone number (stored in E.164) in every common written form: E.164,
 * international (`+44 7400 671070`, `0044 ...`, `44...`, `+44 (0)7400 ...`), national
 * (`07400 671070`, `(020) 7946-0018`) and the bare national number, with any spaces, dots,
 * dashes or brackets between its digits, never as part of a longer run of digits.
 */
export interface NeedleMatcher {
  test(text: string): boolean;
  replace(text: string): string;
}

/** Between two digits of a written phone number: nothing, or spaces, dots, dashes, brackets. */
const phoneSeparator = '[\\s.()\\-]*';
const e164 = /^\+[1-9]\d{6,14}$/;

function digitsPattern(digits: string): string {
  return [...digits].join(phoneSeparator);
}

/** Every written form of an E.164 number, as one pattern (libphonenumber-js knows each country's national prefix). */
function phonePattern(value: string): string | undefined {
  const phone = parsePhoneNumberFromString(value);
  if (!phone?.isPossible()) return undefined;
  const national = phone.nationalNumber;
  // The national format's digits are the trunk prefix (`0` in the UK, none in the US) and the national number.
  const nationalDigits = phone.format('NATIONAL').replace(/\D/g, '');
  const trunkPrefix = nationalDigits.endsWith(national) ? nationalDigits.slice(0, nationalDigits.length - national.length) : '';
  const international = `(?:\\+|00)?${phoneSeparator}${digitsPattern(phone.countryCallingCode)}${phoneSeparator}(?:\\(0\\)${phoneSeparator})?`;
  const prefixes = [international, ...(trunkPrefix ? [`${digitsPattern(trunkPrefix)}${phoneSeparator}`] : [])];
  const forms = [`(?:${prefixes.join('|')})?${digitsPattern(national)}`];
  // Some national formats are not a prefix and the number: Argentina's mobiles put a 15 inside it (`011 15-2345-6789`).
  if (!nationalDigits.endsWith(national)) forms.push(digitsPattern(nationalDigits));
  return `(?<!\\d)(?:${forms.join('|')})(?!\\d)`;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function needleMatcher(needles: readonly string[]): NeedleMatcher {
  const patterns = new Set<string>();
  for (const needle of needles) {
    if (needle.length === 0) continue;
    patterns.add(escapeRegExp(needle));
    const phone = e164.test(needle) ? phonePattern(needle) : undefined;
    if (phone) patterns.add(phone);
  }
  if (patterns.size === 0) return { test: () => false, replace: (text) => text };
  const source = [...patterns].join('|');
  const finder = new RegExp(source, 'i');
  const replacer = new RegExp(source, 'gi');
  return { test: (text) => finder.test(text), replace: (text) => text.replace(replacer, redactedMark) };
}

/**
 * Replaces every occurrence of the needles (erased ids and identifier values, in any of their
 * written forms: needleMatcher) in the strings of a value, at any depth, and drops map entries
 * whose key holds one (an identifier-keyed permission, say). Returns the value unchanged (the
 * same object) when nothing matched.
 */
export function redactText(value: unknown, needles: readonly string[], found: TextRedaction[] = []): unknown {
  return redactMatches(value, needleMatcher(needles), '', found);
}

function redactMatches(value: unknown, matcher: NeedleMatcher, path: string, found: TextRedaction[]): unknown {
  if (typeof value === 'string') {
    if (!matcher.test(value)) return value;
    found.push({ path, value });
    return matcher.replace(value);
  }
  if (Array.isArray(value)) {
    const members = value.map((member, index) => redactMatches(member, matcher, `${path}[${index}]`, found));
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
      if (matcher.test(key)) {
        found.push({ path: `${memberPath}[key]`, value: key });
        changed = true;
        continue;
      }
      const redacted = redactMatches(member, matcher, memberPath, found);
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
  const text = redactText(rest, [...needles, ...rawValues], removed.text) as Item;
  const changed =
    Object.keys(removed.identifiers).length > 0 || removed.otherCandidates.length > 0 || removed.sharedIdentifiers.length > 0 || removed.text.length > 0;
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

/** What rewriting a record as its redacted version changes: the attributes set anew, and those it no longer has. */
export function attributeChanges(before: StoredAttributes, after: StoredAttributes): AttributeChanges {
  return {
    set: Object.fromEntries(Object.entries(after).filter(([name, value]) => before[name] !== value)),
    remove: Object.keys(before).filter((name) => !(name in after)),
  };
}
