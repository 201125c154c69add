import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { billedWriteUnits, itemSize, type ItemWrite } from '../../shared/db/billed-write-units.ts';

type Item = Record<string, AttributeValue>;

/** An item of exactly `bytes` bytes: pk + sk + a padding attribute `d`. */
function itemOf(bytes: number, id: string, extra: Item = {}): Item {
  const item: Item = { pk: { S: `P#${id}` }, sk: { S: 'S' }, ...extra };
  const padding = bytes - itemSize(item) - 'd'.length;
  return { ...item, d: { S: 'x'.repeat(padding) } };
}

const put = (bytes: number, id: string): ItemWrite => ({ kind: 'put', after: itemOf(bytes, id) });
const inATransaction = (writes: ItemWrite[]) => billedWriteUnits(writes, { transactional: true });
const single = (write: ItemWrite) => billedWriteUnits([write], { transactional: false });

describe('item size by the Developer Guide', () => {
  it('counts attribute names and string values as UTF-8 bytes', () => {
    // "pk" 2 + "CUSTOMER#1" 10 + "sk" 2 + "PROFILE" 7; "név" is 4 bytes, "é" 2.
    expect(itemSize({ pk: { S: 'CUSTOMER#1' }, sk: { S: 'PROFILE' } })).toBe(21);
    expect(itemSize({ név: { S: 'é' } })).toBe(6);
  });

  it('counts a number as 1 byte per two significant digits plus 1, leading and trailing zeros trimmed', () => {
    expect(itemSize({ n: { N: '123.450' } })).toBe(1 + 4); // 12345: 3 + 1
    expect(itemSize({ n: { N: '-0.007' } })).toBe(1 + 2); // 7: 1 + 1
    expect(itemSize({ n: { N: '1000000' } })).toBe(1 + 2);
  });

  it('counts binary as its bytes, booleans and nulls as 1 byte and sets as their elements', () => {
    expect(itemSize({ b: { B: new Uint8Array(5) } })).toBe(6);
    expect(itemSize({ t: { BOOL: true }, z: { NULL: true } })).toBe(4);
    expect(itemSize({ s: { SS: ['ab', 'c'] } })).toBe(4);
    expect(itemSize({ s: { NS: ['12', '3'] } })).toBe(1 + 2 + 2);
  });

  it('adds 3 bytes for a list or map, plus its elements and a map element’s name', () => {
    expect(itemSize({ l: { L: [] } })).toBe(4);
    expect(itemSize({ l: { L: [{ N: '1' }, { BOOL: true }] } })).toBe(1 + 3 + 2 + 1);
    expect(itemSize({ m: { M: { a: { S: 'xy' }, inner: { M: {} } } } })).toBe(1 + 3 + (1 + 2) + (5 + 3));
  });
});

describe('write units AWS bills', () => {
  it('bills each item of a transaction 2 units per KB, rounded up per item (the lead’s probe table)', () => {
    expect(inATransaction([put(100, 'a')]).table).toBe(2);
    expect(inATransaction([put(100, 'a'), put(100, 'b'), put(100, 'c')]).table).toBe(6);
    expect(inATransaction([put(600, 'a'), put(600, 'b'), put(600, 'c')]).table).toBe(6);
    expect(inATransaction([put(2_500, 'a')]).table).toBe(6);
    expect(inATransaction([put(2_500, 'a'), put(600, 'b'), put(100, 'c')]).table).toBe(10);
    expect(inATransaction([put(2_500, 'a'), put(2_500, 'b')]).table).toBe(12);
    expect(inATransaction([put(1_500, 'a'), put(1_500, 'b'), put(1_500, 'c')]).table).toBe(12);
    expect(inATransaction(['a', 'b', 'c', 'd', 'e'].map((id) => put(100, id))).table).toBe(10);
  });

  it('bills a single write 1 unit per KB, and exactly 1 KB as one unit', () => {
    expect(single(put(1_024, 'a')).table).toBe(1);
    expect(single(put(1_025, 'a')).table).toBe(2);
  });

  it('bills an update on the larger of the item before and after it', () => {
    const shrinking = { kind: 'update' as const, before: itemOf(2_500, 'a'), after: itemOf(900, 'a') };
    const growing = { kind: 'update' as const, before: itemOf(900, 'a'), after: itemOf(2_100, 'a') };

    expect(single(shrinking).table).toBe(3);
    expect(single(growing).table).toBe(3);
  });

  it('bills a delete on the deleted item’s size, and an absent item as one unit', () => {
    expect(single({ kind: 'delete', before: itemOf(3_000, 'a') }).table).toBe(3);
    expect(single({ kind: 'delete' }).table).toBe(1);
  });

  it('bills a condition check as a transactional write of the checked item, 2 for an absent one', () => {
    expect(inATransaction([{ kind: 'conditionCheck' }])).toEqual({ table: 2, index: 0 });
    expect(inATransaction([{ kind: 'conditionCheck', before: itemOf(1_500, 'a') }])).toEqual({ table: 4, index: 0 });
  });
});

describe('index write units AWS bills (gsi1, keys only)', () => {
  const indexed = (bytes: number, sortKey: string) => itemOf(bytes, 'a', { gsi1pk: { S: 'TIER#gold' }, gsi1sk: { S: sortKey } });

  it('bills a moved index key as a delete and a put of the small entry, not of the item', () => {
    const units = single({ kind: 'update', before: indexed(2_500, '2026-12-01'), after: indexed(2_500, '2026-12-02') });

    expect(units).toEqual({ table: 3, index: 2 });
  });

  it('bills nothing to the index when its keys did not change, whatever else did', () => {
    expect(single({ kind: 'update', before: indexed(900, '2026-12-01'), after: indexed(2_500, '2026-12-01') }).index).toBe(0);
  });

  it('bills a new entry as one put and a removed entry or a deleted item as one delete', () => {
    expect(single({ kind: 'update', before: itemOf(500, 'a'), after: indexed(500, 'x') }).index).toBe(1);
    expect(single({ kind: 'update', before: indexed(500, 'x'), after: itemOf(500, 'a') }).index).toBe(1);
    expect(single({ kind: 'delete', before: indexed(500, 'x') }).index).toBe(1);
  });

  it('writes no entry for an item with only one of the index keys (a sparse index)', () => {
    expect(single({ kind: 'put', after: itemOf(500, 'a', { gsi1pk: { S: 'TIER#gold' } }) }).index).toBe(0);
  });

  it('bills index writes as standard writes inside a transaction too', () => {
    const units = inATransaction([{ kind: 'update', before: indexed(500, '1'), after: indexed(500, '2') }]);

    expect(units).toEqual({ table: 2, index: 2 });
  });
});
