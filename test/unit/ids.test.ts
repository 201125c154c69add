import { describe, expect, it } from 'vitest';
import { touchpointIdSchema } from '../../shared/schemas/common.ts';
import { newTouchpointId, touchpointIdFor } from '../../shared/domain/ids.ts';

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
