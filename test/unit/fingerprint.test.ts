import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../shared/domain/fingerprint.ts';

/** The same object with its keys, at every depth, in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, entry]) => [key, reverseKeys(entry)]),
    );
  }
  return value;
}

describe('request fingerprint', () => {
  it('is the same whatever the order of keys', () => {
    const a = { channel: 'call', identifiers: { phone: '020 7946 0018', email: 'a@example.com' }, details: { direction: 'inbound' } };
    const b = { details: { direction: 'inbound' }, identifiers: { email: 'a@example.com', phone: '020 7946 0018' }, channel: 'call' };

    expect(fingerprint(a)).toBe(fingerprint(b));
  });

  it('is the same for any JSON object and its key-reversed copy', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(fingerprint(reverseKeys(value))).toBe(fingerprint(value));
      }),
    );
  });

  it('differs when a value differs', () => {
    expect(fingerprint({ channel: 'call', summary: 'one' })).not.toBe(fingerprint({ channel: 'call', summary: 'two' }));
  });

  it('differs when the order of an array differs', () => {
    expect(fingerprint({ to: ['a@example.com', 'b@example.com'] })).not.toBe(fingerprint({ to: ['b@example.com', 'a@example.com'] }));
  });

  it('is equal for two JSON values exactly when they hold the same content', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const sameContent = JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
        expect(fingerprint(a) === fingerprint(b)).toBe(sameContent);
      }),
    );
  });
});

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, entry]) => [key, sortKeys(entry)]),
    );
  }
  return value;
}
