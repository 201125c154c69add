import { describe, expect, it } from 'vitest';
import { touchpointIdSchema } from '../../shared/schemas/common.ts';
import { newTouchpointId, touchpointIdFor, ulidGenerator } from '../../shared/domain/ids.ts';

describe('the touchpoint id an Idempotency-Key stands for', () => {
  it('is the same for the same scope and key, every time', () => {
    expect(touchpointIdFor({ scope: 'web', key: 'order-1' })).toBe(touchpointIdFor({ scope: 'web', key: 'order-1' }));
  });

  it('differs between scopes, keys, and a scope and key that run together', () => {
    const ids = [
      touchpointIdFor({ scope: 'web', key: 'order-1' }),
      touchpointIdFor({ scope: 'crm', key: 'order-1' }),
      touchpointIdFor({ scope: 'web', key: 'order-2' }),
      touchpointIdFor({ scope: 'we', key: 'border-1' }),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has the documented form of a touchpoint id, as a random one does', () => {
    for (let index = 0; index < 200; index += 1) {
      expect(touchpointIdSchema.safeParse(touchpointIdFor({ scope: `scope-${index}`, key: `key-${index}` })).success).toBe(true);
    }
    expect(touchpointIdSchema.safeParse(newTouchpointId()).success).toBe(true);
  });

  it('starts its 26 characters with 0-7, as a ULID (128 bits) does', () => {
    const firsts = new Set(Array.from({ length: 200 }, (_, index) => touchpointIdFor({ scope: 's', key: String(index) }).charAt(3)));
    expect([...firsts].every((first) => '01234567'.includes(first))).toBe(true);
  });
});

describe('a ULID generator', () => {
  it('draws a different random part for each new millisecond', () => {
    const next = ulidGenerator();

    const randomParts = Array.from({ length: 2_000 }, (_, index) => next(1_700_000_000_000 + index).slice(10));

    expect(new Set(randomParts).size).toBe(randomParts.length);
    expect(new Set(randomParts.join('')).size).toBe(32);
  });

  it('sorts ids made in the same millisecond in the order they were made', () => {
    const next = ulidGenerator();

    const ids = Array.from({ length: 1_000 }, () => next(1_700_000_000_000));

    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
