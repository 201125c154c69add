import { describe, expect, it } from 'vitest';
import { config } from '../../shared/config/config.ts';

describe('config', () => {
  it('defaults the phone region to GB', () => {
    expect(config().DEFAULT_PHONE_REGION).toBe('GB');
  });
});
