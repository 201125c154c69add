import { describe, expect, it } from 'vitest';
import { accessLogExpiresAt, retentionMonths, touchpointExpiresAt } from '../../shared/config/retention.ts';
import { allChannels } from '../fixtures/touchpoints.ts';

const epoch = (iso: string) => Date.parse(iso) / 1000;

describe('retention', () => {
  it('keeps a web visit 13 months from when it happened', () => {
    expect(touchpointExpiresAt('web_visit', '2026-01-15T10:00:00.000Z')).toBe(epoch('2027-02-15T10:00:00.000Z'));
  });

  it.each(allChannels.filter((channel) => channel !== 'web_visit'))('keeps a %s touchpoint 7 years', (channel) => {
    expect(retentionMonths(channel)).toBe(84);
    expect(touchpointExpiresAt(channel, '2026-03-01T00:00:00.000Z')).toBe(epoch('2033-03-01T00:00:00.000Z'));
  });

  it('ends a month-end web visit on the last day of the shorter month', () => {
    expect(touchpointExpiresAt('web_visit', '2026-01-31T12:00:00.000Z')).toBe(epoch('2027-02-28T12:00:00.000Z'));
  });

  it('keeps a read-audit entry 400 days', () => {
    expect(accessLogExpiresAt(new Date('2026-01-01T00:00:00.000Z'))).toBe(epoch('2027-02-05T00:00:00.000Z'));
  });
});
