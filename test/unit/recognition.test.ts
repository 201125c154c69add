import { describe, expect, it } from 'vitest';
import { type IdentifierType, identifierTypesByStrength } from '../../shared/domain/identifiers.ts';
import { type ResolvedIdentifier, recognise } from '../../shared/domain/recognition.ts';

const phone = (customerId?: string): ResolvedIdentifier => ({ type: 'phone', value: '+442079460018', customerId });
const email = (customerId?: string): ResolvedIdentifier => ({ type: 'email', value: 'ada@example.com', customerId });
const account = (customerId?: string): ResolvedIdentifier => ({ type: 'accountId', value: 'ACC-1', customerId });
const anonymous = (customerId?: string): ResolvedIdentifier => ({ type: 'anonymousId', value: 'cookie-1', customerId });

describe('recognition', () => {
  it('creates a new customer when every identifier is unknown', () => {
    const recognition = recognise([phone(), email()]);

    expect(recognition).toEqual({
      kind: 'new-customer',
      attach: [
        { type: 'phone', value: '+442079460018' },
        { type: 'email', value: 'ada@example.com' },
      ],
    });
  });

  it('records on the known customer when an identifier points to one', () => {
    const recognition = recognise([phone('cus_A')]);

    expect(recognition).toMatchObject({ kind: 'known-customer', customerId: 'cus_A', attach: [], contested: [] });
  });

  it('attaches the unknown identifiers to the known customer', () => {
    const recognition = recognise([phone('cus_A'), email(), anonymous()]);

    expect(recognition).toMatchObject({
      kind: 'known-customer',
      customerId: 'cus_A',
      attach: [
        { type: 'email', value: 'ada@example.com' },
        { type: 'anonymousId', value: 'cookie-1' },
      ],
      contested: [],
    });
  });

  it('does not attach identifiers the customer already owns', () => {
    const recognition = recognise([phone('cus_A'), email('cus_A')]);

    expect(recognition).toMatchObject({ kind: 'known-customer', customerId: 'cus_A', attach: [], contested: [] });
  });

  it('records on the customer named by customerId, the strongest identifier of all', () => {
    const recognition = recognise([account('cus_B')], 'cus_A');

    expect(recognition).toMatchObject({ kind: 'known-customer', customerId: 'cus_A', contested: [account('cus_B')] });
  });

  it('records on the customer named by customerId even when no other identifier is known', () => {
    const recognition = recognise([email()], 'cus_A');

    expect(recognition).toMatchObject({ kind: 'known-customer', customerId: 'cus_A', attach: [{ type: 'email' }] });
  });

  const storedTypes = identifierTypesByStrength.filter((type): type is Exclude<IdentifierType, 'customerId'> => type !== 'customerId');
  const pairs = storedTypes.flatMap((stronger, index) => storedTypes.slice(index + 1).map((weaker) => [stronger, weaker] as const));

  it.each(pairs)('in a conflict between %s and %s, records on the customer of the %s', (stronger, weaker) => {
    const identifiers: ResolvedIdentifier[] = [
      { type: weaker, value: `weak-${weaker}`, customerId: 'cus_WEAK' },
      { type: stronger, value: `strong-${stronger}`, customerId: 'cus_STRONG' },
    ];

    const recognition = recognise(identifiers);

    expect(recognition).toMatchObject({ kind: 'known-customer', customerId: 'cus_STRONG' });
  });

  it('keeps a contested identifier with its owner and attaches nothing contested', () => {
    const recognition = recognise([phone('cus_B'), email('cus_A'), anonymous()]);

    expect(recognition).toEqual({
      kind: 'known-customer',
      customerId: 'cus_A',
      decidedBy: { type: 'email', value: 'ada@example.com' },
      attach: [{ type: 'anonymousId', value: 'cookie-1' }],
      contested: [phone('cus_B')],
    });
  });

  it('records a touchpoint with only a shared identifier as ambiguous, naming every candidate', () => {
    const recognition = recognise([{ ...phone('cus_A'), sharedWith: ['cus_B'] }]);

    expect(recognition).toEqual({
      kind: 'ambiguous',
      candidates: ['cus_A', 'cus_B'],
      sharedIdentifiers: [{ type: 'phone', value: '+442079460018' }],
    });
  });

  it('lets an unshared identifier decide when a shared one comes with it', () => {
    const recognition = recognise([{ ...phone('cus_A'), sharedWith: ['cus_B'] }, email('cus_B')]);

    expect(recognition).toMatchObject({ kind: 'known-customer', customerId: 'cus_B', contested: [] });
  });

  it('reports every contested identifier when several other customers claim some', () => {
    const recognition = recognise([account('cus_A'), email('cus_B'), phone('cus_C')]);

    expect(recognition).toMatchObject({ kind: 'known-customer', customerId: 'cus_A' });
    expect(recognition.kind === 'known-customer' ? recognition.contested : []).toEqual([email('cus_B'), phone('cus_C')]);
  });
});
