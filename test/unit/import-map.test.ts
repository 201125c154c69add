import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileMap, MapError, type MappedRow, parseMap } from '../../clients/import/src/map.ts';
import { header } from '../import/fixtures/invoice-export.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const exampleMap = JSON.parse(readFileSync(join(projectRoot, 'clients/import/examples/invoice-export.map.json'), 'utf8')) as unknown;

const row = (cells: Record<string, string>) => new Map(Object.entries(cells));

function mapped(result: MappedRow) {
  if (result.kind !== 'mapped') throw new Error(`refused: ${result.detail}`);
  return result.touchpoint;
}

function mapOne(map: Record<string, unknown>, cells: Record<string, string>): MappedRow {
  return compileMap(parseMap({ channel: 'letter', identifiers: { accountId: 'Account' }, ...map }), Object.keys(cells))(row(cells));
}

const invoiceRow = {
  'Event ID': 'EV-1',
  Type: 'Invoice query',
  'Query Ref': 'Q-1',
  'Account No': 'ACC-1',
  'Customer Email': 'ada@example.com',
  Phone: '0745 123 4567',
  'Invoice No': 'INV-1',
  Date: '29/03/2026 01:30',
  Status: 'In progress',
  Reason: 'Charged twice, wants a refund',
  Amount: '1,234.50',
  Currency: 'GBP',
  Notes: 'Called back.\r\nSee ticket',
};

describe('the example map', () => {
  it('maps an invoice query row of the example export to the batch route’s touchpoint', () => {
    const touchpoint = mapped(compileMap(parseMap(exampleMap), [...header])(row(invoiceRow)));

    expect(touchpoint).toEqual({
      channel: 'invoice_query',
      identifiers: { accountId: 'ACC-1', email: 'ada@example.com', phone: '0745 123 4567' },
      idempotencyKey: 'billing-export:EV-1',
      // 01:30 on the day the UK moves to summer time is still GMT.
      occurredAt: '2026-03-29T01:30:00Z',
      summary: 'Invoice INV-1: Charged twice, wants a refund',
      details: {
        invoiceNumber: 'INV-1',
        queryId: 'Q-1',
        status: 'in_progress',
        reason: 'Charged twice, wants a refund',
        amount: { value: 1234.5, currency: 'GBP' },
        notes: 'Called back.\r\nSee ticket',
      },
    });
  });

  it('gives a letter row the letter’s details only', () => {
    const touchpoint = mapped(compileMap(parseMap(exampleMap), [...header])(row({ ...invoiceRow, Type: 'Reminder letter', Date: '29/03/2026 02:30' })));

    expect(touchpoint.channel).toBe('letter');
    expect(touchpoint.occurredAt).toBe('2026-03-29T01:30:00Z');
    expect(touchpoint.details).toEqual({
      direction: 'outbound',
      subject: 'Charged twice, wants a refund',
      reference: 'INV-1',
      notes: 'Called back.\r\nSee ticket',
    });
  });
});

describe('reading cells', () => {
  it.each([
    ['1,234.50', '.', 1234.5],
    ['1 234.50', '.', 1234.5],
    ['1.234,50', ',', 1234.5],
    ['1\u00a0234,5', ',', 1234.5],
    ['-12', '.', -12],
    ['0,75', ',', 0.75],
  ] as const)('reads %s with decimal separator %s as %d', (text, decimalSeparator, expected) => {
    const touchpoint = mapped(mapOne({ value: { column: 'Amount', decimalSeparator } }, { Account: 'A', Amount: text }));

    expect(touchpoint.value).toBe(expected);
  });

  it.each(['12,34.5', '1.234,50', '12abc', '1e3', '--1'])('refuses %s as a number written with a decimal point', (text) => {
    const result = mapOne({ value: 'Amount' }, { Account: 'A', Amount: text });

    expect(result).toMatchObject({ kind: 'refused', field: 'value' });
  });

  it.each([
    ['iso', '2026-11-23T09:15:00+01:00', 'UTC', '2026-11-23T08:15:00Z'],
    ['iso', '2026-07-01T09:15', 'Europe/London', '2026-07-01T08:15:00Z'],
    ['unix', '1795000000', 'UTC', '2026-11-18T11:06:40Z'],
    ['unix-ms', '1795000000000', 'UTC', '2026-11-18T11:06:40Z'],
    ['MM/dd/yyyy h:mm a', '07/04/2026 3:05 PM', 'America/New_York', '2026-07-04T19:05:00Z'],
    ['yyyy-MM-dd', '2026-11-23', 'Europe/Paris', '2026-11-22T23:00:00Z'],
  ])('reads a %s date %s in %s', (format, text, timeZone, expected) => {
    const touchpoint = mapped(mapOne({ occurredAt: { column: 'When', format, timeZone } }, { Account: 'A', When: text }));

    expect(touchpoint.occurredAt).toBe(expected);
  });

  it.each([
    ['dd/MM/yyyy', '31/02/2026'],
    ['dd/MM/yyyy', '2026-02-01'],
    ['iso', 'yesterday'],
    ['unix', '17e8'],
  ])('refuses a %s date %s, naming the cell', (format, text) => {
    const result = mapOne({ occurredAt: { column: 'When', format } }, { Account: 'A', When: text });

    expect(result).toEqual({ kind: 'refused', field: 'occurredAt', detail: `When "${text}" is not a date in the format ${format}` });
  });

  it('leaves out a field whose cell is empty or blank, and sends the identifiers it has', () => {
    const touchpoint = mapped(
      mapOne(
        { identifiers: { accountId: 'Account', email: 'Email' }, summary: 'Summary', details: { notes: 'Notes' } },
        { Account: ' A-1 ', Email: '', Summary: '   ', Notes: '' },
      ),
    );

    expect(touchpoint.identifiers).toEqual({ accountId: 'A-1' });
    expect(touchpoint).not.toHaveProperty('summary');
    expect(touchpoint.details).toEqual({});
  });

  it('refuses a cell missing from a table of values, listing the values it takes', () => {
    const result = mapOne({ details: { direction: { column: 'Dir', values: { In: 'inbound', Out: 'outbound' } } } }, { Account: 'A', Dir: 'Sideways' });

    expect(result).toEqual({ kind: 'refused', field: 'details.direction', detail: 'Dir "Sideways" is not one of In, Out' });
  });

  it('does not take a table entry inherited from Object for a value', () => {
    const result = mapOne({ details: { direction: { column: 'Dir', values: { In: 'inbound' } } } }, { Account: 'A', Dir: 'constructor' });

    expect(result).toMatchObject({ kind: 'refused', field: 'details.direction' });
  });

  it('refuses an unknown channel from a channel column', () => {
    const result = mapOne({ channel: { column: 'Channel' } }, { Account: 'A', Channel: 'fax' });

    expect(result).toMatchObject({ kind: 'refused', field: 'channel', detail: expect.stringContaining('"fax" is not a known channel') });
  });

  it('reads integers and yes/no cells, refusing a fraction where a whole number is due', () => {
    const map = { details: { messageCount: { column: 'Messages', type: 'integer' }, flagged: { column: 'Flag', type: 'boolean' } } };

    expect(mapped(mapOne(map, { Account: 'A', Messages: '12', Flag: 'Yes' })).details).toEqual({ messageCount: 12, flagged: true });
    expect(mapOne(map, { Account: 'A', Messages: '1.5', Flag: 'no' })).toMatchObject({ kind: 'refused', field: 'details.messageCount' });
  });
});

describe('idempotency keys', () => {
  const map = { summary: 'Summary', details: { notes: 'Notes' } };

  it('derives the same key from the same mapped cells, whatever the order of columns or the columns the map does not read', () => {
    const first = mapped(mapOne(map, { Account: 'A', Summary: 'Called', Notes: 'n', Exported: '2026-12-01' }));
    const reordered = mapped(mapOne(map, { Notes: 'n', Exported: '2026-12-02', Summary: 'Called', Account: 'A' }));

    expect(reordered.idempotencyKey).toBe(first.idempotencyKey);
    expect(first.idempotencyKey).toMatch(/^csv-[A-Za-z0-9_-]{43}$/);
  });

  it('derives another key when a mapped cell differs, or when two cells swap values', () => {
    const base = mapped(mapOne(map, { Account: 'A', Summary: 'x', Notes: 'y' })).idempotencyKey;

    expect(mapped(mapOne(map, { Account: 'A', Summary: 'x', Notes: 'z' })).idempotencyKey).not.toBe(base);
    expect(mapped(mapOne(map, { Account: 'A', Summary: 'y', Notes: 'x' })).idempotencyKey).not.toBe(base);
  });

  it('refuses a row whose key column is empty rather than sending it without a key', () => {
    const result = mapOne({ idempotencyKey: { column: 'Id' } }, { Account: 'A', Id: ' ' });

    expect(result).toMatchObject({ kind: 'refused', field: 'idempotencyKey' });
  });
});

describe('checking a map', () => {
  it.each([
    [{ channel: 'fax', identifiers: { accountId: 'A' } }, 'channel'],
    [{ channel: 'letter', identifiers: {} }, 'identifiers names the column of at least one identifier'],
    [{ channel: 'letter', identifiers: { accountNumber: 'A' } }, 'identifiers'],
    [
      { channel: 'letter', identifiers: { accountId: 'A' }, occurredAt: { column: 'D', timeZone: 'Europe/Londres' } },
      'occurredAt.timeZone is not an IANA time zone',
    ],
    [{ channel: 'letter', identifiers: { accountId: 'A' }, details: { amount: 'X', 'amount.value': 'Y' } }, 'details sets a member and a path inside it'],
    [{ channel: 'letter', identifiers: { accountId: 'A' }, details: { 'bad path': 'X' } }, 'details.bad path must be a details path'],
  ])('refuses %j, naming %s', (map, message) => {
    expect(() => parseMap(map)).toThrow(MapError);
    expect(() => parseMap(map)).toThrow(message);
  });

  it('refuses a header that lacks a column the map names, or holds it twice', () => {
    const map = parseMap({ channel: 'letter', identifiers: { accountId: 'Account' }, summary: { template: 'Re {Subject}' } });

    expect(() => compileMap(map, ['Account'])).toThrow('the header does not hold once: Subject');
    expect(() => compileMap(map, ['Account', 'Subject', 'Subject'])).toThrow('the header does not hold once: Subject');
  });
});
