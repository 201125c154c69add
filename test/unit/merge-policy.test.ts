import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identifierTypesByStrength, type StoredIdentifierType } from '../../shared/domain/identifiers.ts';
import { automaticMergePolicy, profileKind } from '../../shared/domain/merge-policy.ts';
import type { AttachedIdentifier } from '../../shared/domain/model.ts';

const provenance = { attachedAt: '2026-01-01T00:00:00.000Z', source: 'unit-test', rule: 'first-contact' as const };
const identifier = (type: StoredIdentifierType, value = `${type}-1`): AttachedIdentifier => ({ type, value, provenance });

const storedTypes = identifierTypesByStrength.filter((type): type is StoredIdentifierType => type !== 'customerId');

describe('automatic merge policy table', () => {
  it('merges an anonymous profile into the known customer it was seen with', () => {
    expect(automaticMergePolicy['anonymous+known']).toBe('merge-into-known');
  });

  it('merges an anonymous profile into the known customer whichever side the touchpoint recognised first', () => {
    expect(automaticMergePolicy['known+anonymous']).toBe('merge-into-known');
  });

  it('never merges two known customers automatically: it proposes them for review', () => {
    expect(automaticMergePolicy['known+known']).toBe('propose');
  });

  it('merges two anonymous profiles into the one recognised', () => {
    expect(automaticMergePolicy['anonymous+anonymous']).toBe('merge-into-this');
  });

  it('has exactly one rule for each pair of profile kinds', () => {
    expect(Object.keys(automaticMergePolicy).sort()).toEqual(['anonymous+anonymous', 'anonymous+known', 'known+anonymous', 'known+known']);
  });

  it('proposes only when both sides are known', () => {
    const proposing = Object.entries(automaticMergePolicy)
      .filter(([, action]) => action === 'propose')
      .map(([pair]) => pair);

    expect(proposing).toEqual(['known+known']);
  });
});

describe('profile kind', () => {
  it('is anonymous for a profile known only by a cookie', () => {
    expect(profileKind({ identifiers: [identifier('anonymousId')] })).toBe('anonymous');
  });

  it('is anonymous for a profile with several cookies and nothing else', () => {
    expect(profileKind({ identifiers: [identifier('anonymousId', 'cookie-1'), identifier('anonymousId', 'cookie-2')] })).toBe('anonymous');
  });

  it('is known once the visitor left an email next to the cookie', () => {
    expect(profileKind({ identifiers: [identifier('anonymousId'), identifier('email', 'ada@example.com')] })).toBe('known');
  });

  it('is known for a caller known by phone alone', () => {
    expect(profileKind({ identifiers: [identifier('phone', '+442079460018')] })).toBe('known');
  });

  it('is known (never merged automatically) for a profile whose identifiers were all unlinked', () => {
    expect(profileKind({ identifiers: [] })).toBe('known');
  });

  it('is anonymous exactly when there is at least one identifier and every one is an anonymousId', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...storedTypes), { maxLength: 6 }), (types) => {
        const identifiers = types.map((type, index) => identifier(type, `${type}-${index}`));

        const expected = types.length > 0 && types.every((type) => type === 'anonymousId') ? 'anonymous' : 'known';

        expect(profileKind({ identifiers })).toBe(expected);
      }),
    );
  });
});
