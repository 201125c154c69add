/**
 * Where erased data still lies in a table: every item attribute (index keys, map keys and nested
 * values included) holding one of the given strings (an erased customer's id, phone, email...).
 * Pure over scanned items, so a test scans once (scanTable) and checks as many needles as it likes.
 */

type Item = Record<string, unknown>;

export interface Trace {
  pk: string;
  sk: string;
  /** Dotted path to the attribute; `[key]` when the needle is a map key rather than a value. */
  path: string;
  needle: string;
}

export function findTraces(items: readonly Item[], needles: readonly string[]): Trace[] {
  const wanted = needles.filter((needle) => needle.length > 0);
  const traces: Trace[] = [];
  for (const item of items) {
    const at = { pk: String(item.pk), sk: String(item.sk) };
    visit(item, '', (path, text) => {
      for (const needle of wanted) if (text.includes(needle)) traces.push({ ...at, path, needle });
    });
  }
  return traces;
}

function visit(value: unknown, path: string, found: (path: string, text: string) => void): void {
  if (typeof value === 'string') found(path, value);
  else if (typeof value === 'number' || typeof value === 'bigint') found(path, String(value));
  else if (value instanceof Set || Array.isArray(value)) {
    for (const [index, member] of [...value].entries()) visit(member, `${path}[${index}]`, found);
  } else if (value instanceof Uint8Array) found(path, Buffer.from(value).toString('utf8'));
  else if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) {
      const memberPath = path ? `${path}.${key}` : key;
      found(`${memberPath}[key]`, key);
      visit(member, memberPath, found);
    }
  }
}
