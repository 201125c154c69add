/**
 * Checks a JSON text that JSON.parse accepted for what JSON.parse lets through silently:
 * - a duplicate key (`{"channel":"call","channel":"sms"}`): JSON.parse keeps the last, another
 *   parser in front of us might keep the first, and the two would disagree about the request;
 * - nesting deeper than any of our schemas needs (a validation walk over 100,000 levels is a
 *   stack overflow waiting to happen);
 * - a lone UTF-16 surrogate (`"\ud800"`): not a character, and not storable as UTF-8.
 * Returns the first finding as a sentence for the 400 problem, or undefined for a clean text.
 */
export const maxJsonDepth = 32;

export function jsonDefect(text: string): string | undefined {
  const keysByLevel: Array<Set<string> | undefined> = [];
  let depth = 0;
  let index = 0;
  // The value just read is a key when the next significant character is a colon.
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      const end = endOfString(text, index);
      const raw = text.slice(index, end + 1);
      const value = JSON.parse(raw) as string;
      if (hasLoneSurrogate(value)) return 'a string holds a lone UTF-16 surrogate (\\ud800-\\udfff without its pair)';
      let next = end + 1;
      while (next < text.length && /\s/.test(text[next] as string)) next += 1;
      const keys = keysByLevel[depth];
      if (text[next] === ':' && keys) {
        if (keys.has(value)) return `the key "${truncate(value)}" appears twice in one object`;
        keys.add(value);
      }
      index = end + 1;
      continue;
    }
    if (char === '{' || char === '[') {
      depth += 1;
      if (depth > maxJsonDepth) return `it nests deeper than ${maxJsonDepth} levels`;
      keysByLevel[depth] = char === '{' ? new Set() : undefined;
    } else if (char === '}' || char === ']') {
      keysByLevel[depth] = undefined;
      depth -= 1;
    }
    index += 1;
  }
  return undefined;
}

function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') index += 2;
    else if (char === '"') return index;
    else index += 1;
  }
  return text.length - 1;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hasLoneSurrogate(value: string): boolean {
  return loneSurrogate.test(value);
}

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}...` : value;
}
