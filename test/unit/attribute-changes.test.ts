import { describe, expect, it } from 'vitest';
import { attributeChanges, redactTouchpoint, redactedMark } from '../../shared/privacy/redaction.ts';

/**
 * An erase rewrites another customer's record as its redacted version attribute by attribute
 * (an UpdateItem, so the index keys the use cases never see stay as they are): what it writes
 * must leave the record exactly as the redaction made it.
 */
describe('the changes that rewrite a record as its redacted version', () => {
  it('sets only the attributes the redaction changed', () => {
    const before = { summary: 'call back cus_1', channel: 'call', details: { note: 'kept' } };
    const after = { ...before, summary: `call back ${redactedMark}` };

    expect(attributeChanges(before, after)).toEqual({ set: { summary: `call back ${redactedMark}` }, remove: [] });
  });

  it('removes the attributes the redaction dropped', () => {
    const before = { channel: 'call', 'cus_1-note': 'x' };
    const after = { channel: 'call' };

    expect(attributeChanges(before, after)).toEqual({ set: {}, remove: ['cus_1-note'] });
  });

  it('leaves a redacted touchpoint equal to the redaction when applied to the stored one', () => {
    const stored = {
      touchpointId: 'tp_1',
      customerId: 'cus_other',
      channel: 'call',
      summary: 'asked about ann@example.com',
      identifiers: { email: 'ann@example.com', phone: '+447400671070' },
      details: { agent: 'Sam' },
    };
    const { redacted } = redactTouchpoint(stored, new Set(['cus_erased']), (identifier) => identifier.type === 'email', ['ann@example.com']);
    if (!redacted) throw new Error('the touchpoint names the erased person');

    const { set, remove } = attributeChanges(stored, redacted);
    const rewritten = Object.fromEntries(Object.entries({ ...stored, ...set }).filter(([name]) => !remove.includes(name)));

    expect(rewritten).toEqual(redacted);
    expect(Object.keys(set).sort()).toEqual(['identifiers', 'summary']);
  });
});
