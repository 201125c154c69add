import { describe, expect, it } from 'vitest';
import { settleCall } from '../../shared/connectors/cti/call-events.ts';

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, seconds)).toISOString();

describe('CTI call settlement (pure)', () => {
  it('counts ringing from the newCall to the answer and talk time from the answer to the hangup', () => {
    const settled = settleCall(
      { newCall: { at: at(0), queue: 'billing' }, answer: { at: at(9), user: 'ada' }, hangup: { at: at(69), cause: 'normalClearing' } },
      'in',
    );

    expect(settled).toEqual({ occurredAt: at(0), outcome: 'answered', durationSeconds: 60, ringSeconds: 9, agentId: 'ada', queue: 'billing' });
  });

  it('starts the call at the earliest event seen when the newCall never arrived', () => {
    const settled = settleCall({ answer: { at: at(5) }, hangup: { at: at(50) } }, 'out');

    expect(settled).toMatchObject({ occurredAt: at(5), outcome: 'answered', durationSeconds: 45, ringSeconds: 0 });
  });

  it("never reports a negative duration when the system's clocks disagree", () => {
    const settled = settleCall({ newCall: { at: at(30) }, answer: { at: at(20) }, hangup: { at: at(10) } }, 'in');

    // The answer stamped after the hangup: no talk time rather than a negative one.
    expect(settled.durationSeconds).toBe(0);
    expect(settled.occurredAt).toBe(at(10));
  });

  it.each([
    ['busy', 'in', 'missed'],
    ['noAnswer', 'in', 'missed'],
    ['cancel', 'in', 'abandoned'],
    ['cancel', 'out', 'missed'],
    ['forwarded', 'in', 'transferred'],
    [undefined, 'in', 'missed'],
  ] as const)('reads an unanswered hangup with cause %s on a call %s as %s', (cause, direction, outcome) => {
    const settled = settleCall({ newCall: { at: at(0) }, hangup: { at: at(25), ...(cause ? { cause } : {}) } }, direction);

    expect(settled).toMatchObject({ outcome, durationSeconds: 0, ringSeconds: 25 });
  });
});
