import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { tableDefinition } from './table-definition.ts';

/**
 * The write units AWS bills, by the DynamoDB Developer Guide's rules, for measurement only (the
 * call recorder and the bench; nothing in production imports it). DynamoDB Local 3.3.0's own
 * ConsumedCapacity for TransactWriteItems is not what AWS bills: it reports about 2x the sum of
 * the distinct per-item unit values (three 100 B Puts: 2 units, AWS bills 6); see
 * docs/performance.md, "What DynamoDB Local reports and what AWS bills".
 *
 * Rules (Developer Guide: "Item sizes and formats", "Read/write capacity mode", "Capacity
 * management for transactions", "Provisioned throughput considerations for GSIs"):
 * - item size = attribute names + values, UTF-8 bytes; a write is 1 unit per KB, rounded up per item;
 * - a Put or Update is billed on the larger of the item before and after, a Delete on the deleted item;
 * - in TransactWriteItems every item costs 2 units per KB (a prepare and a commit write);
 * - a GSI write is a standard write (1 unit per KB) of the index entry: a new entry a put, a moved
 *   key a delete plus a put, an unchanged KEYS_ONLY entry nothing.
 */

type Item = Record<string, AttributeValue>;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Numbers: 1 byte per two significant digits (leading and trailing zeros trimmed) plus 1 byte. */
function numberSize(value: string): number {
  const mantissa = value.toLowerCase().split('e')[0] ?? '';
  const digits = mantissa.replace(/[-+.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.min(digits.length, 38) / 2) + 1;
}

export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, element) => sum + utf8(element), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, element) => sum + numberSize(element), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, element) => sum + element.byteLength, 0);
  // A List or Map: 3 bytes of overhead whatever it holds, plus its elements (a Map's with their names).
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + attributeValueSize(element), 0);
  if (value.M !== undefined) return 3 + itemSize(value.M);
  throw new Error(`Unknown attribute value type: ${Object.keys(value).join(', ')}`);
}

/** An item's size as DynamoDB bills it: every attribute's name plus its value. */
export function itemSize(item: Item): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + attributeValueSize(value), 0);
}

/** Standard write units of `bytes`: 1 per KB, rounded up, at least 1 (an absent item still costs one). */
export function writeUnitsOfSize(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

export type WriteKind = 'put' | 'update' | 'delete' | 'conditionCheck';

/** One item a write call touched, as it was before the call and is after it (absent: undefined). */
export interface ItemWrite {
  kind: WriteKind;
  before?: Item | undefined;
  after?: Item | undefined;
}

export interface BilledWriteUnits {
  /** Units of the table's own items. */
  table: number;
  /** Units of keeping the secondary indexes' entries up to date. */
  index: number;
}

interface IndexSchema {
  partitionKey: string;
  sortKey: string;
  projectionType: 'KEYS_ONLY';
}

/** A projected entry carries 100 bytes of overhead besides its attributes (Developer Guide, GSI storage). */
const indexEntryOverhead = 100;

function indexEntry(item: Item | undefined, index: IndexSchema): Item | undefined {
  const partition = item?.[index.partitionKey];
  const sort = item?.[index.sortKey];
  if (!item || !partition || !sort) return undefined; // a sparse index: no entry without both keys
  const keys: Item = { [index.partitionKey]: partition, [index.sortKey]: sort };
  for (const name of [tableDefinition.partitionKey, tableDefinition.sortKey]) if (item[name]) keys[name] = item[name];
  return keys;
}

const sameEntry = (a: Item, b: Item) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

function indexUnits(write: ItemWrite, index: IndexSchema): number {
  if (write.kind === 'conditionCheck') return 0;
  const before = indexEntry(write.before, index);
  const after = indexEntry(write.kind === 'delete' ? undefined : write.after, index);
  // KEYS_ONLY: an entry whose keys did not change is not rewritten, whatever else changed.
  if (before && after && sameEntry(before, after)) return 0;
  const units = (entry: Item | undefined) => (entry ? writeUnitsOfSize(itemSize(entry) + indexEntryOverhead) : 0);
  return units(before) + units(after);
}

function tableBytes(write: ItemWrite): number {
  const before = write.before ? itemSize(write.before) : 0;
  if (write.kind === 'delete' || write.kind === 'conditionCheck') return before;
  return Math.max(before, write.after ? itemSize(write.after) : 0);
}

/**
 * The units AWS bills for one successful write call: a single write (`transactional: false`) or
 * the items of one TransactWriteItems.
 *
 * A ConditionCheck: the Developer Guide gives it no rule of its own; "Capacity management for
 * transactions" says DynamoDB performs two underlying reads or writes of every item in the
 * transaction (one to prepare, one to commit), and the on-demand pricing page prices a
 * transactional write at 2 write request units per KB. So a checked item is modelled as a
 * transactional write of its size (2 units for an absent one), and it writes no index entry.
 * That is the dearer reading; check it against ConsumedCapacity in a real account before
 * quoting a figure that hinges on it.
 */
export function billedWriteUnits(writes: ItemWrite[], options: { transactional: boolean }): BilledWriteUnits {
  const multiplier = options.transactional ? 2 : 1;
  const indexes = tableDefinition.globalSecondaryIndexes as readonly IndexSchema[];
  return writes.reduce<BilledWriteUnits>(
    (sum, write) => ({
      table: sum.table + multiplier * writeUnitsOfSize(tableBytes(write)),
      index: sum.index + indexes.reduce((units, index) => units + indexUnits(write, index), 0),
    }),
    { table: 0, index: 0 },
  );
}
