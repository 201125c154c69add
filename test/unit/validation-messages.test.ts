import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.ts';
import { parseWith } from '../../shared/http/validation.ts';
import { touchpointInputSchema } from '../../shared/schemas/touchpoint.ts';
import { touchpointBody } from '../fixtures/touchpoints.ts';

/** The problems a 422 would list for a body: zod's own words where the schema has none of its own. */
function problemsOf(input: unknown) {
  try {
    parseWith(touchpointInputSchema, input);
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
  return [];
}

// zod's mini build registers no locale, so without shared/schemas/zod.ts's English one every
// message below would read "Invalid input". The API guide and clients quote these words.
describe("zod's messages in a validation problem", () => {
  it('says which type a field expects and which it got', () => {
    const body = touchpointBody({ details: { direction: 'inbound', durationSeconds: 'long' } });

    expect(problemsOf(body)).toEqual([{ path: 'details.durationSeconds', message: 'Invalid input: expected number, received string' }]);
  });

  it('says how long a text may be', () => {
    const body = touchpointBody({ summary: 'x'.repeat(501) });

    expect(problemsOf(body)).toEqual([{ path: 'summary', message: 'Too big: expected string to have <=500 characters' }]);
  });

  it('says which bound a number is under', () => {
    const body = touchpointBody({ details: { direction: 'inbound', durationSeconds: -1 } });

    expect(problemsOf(body)).toEqual([{ path: 'details.durationSeconds', message: 'Too small: expected number to be >=0' }]);
  });

  it('names a key the schema does not know', () => {
    const body = touchpointBody({ details: { direction: 'inbound', durationSeconds: 10, mood: 'happy' } });

    expect(problemsOf(body)).toEqual([{ path: 'details', message: 'Unrecognized key: "mood"' }]);
  });

  it('lists the values a choice may take', () => {
    const body = touchpointBody({ details: { direction: 'sideways', durationSeconds: 10 } });

    expect(problemsOf(body)).toEqual([{ path: 'details.direction', message: 'Invalid option: expected one of "inbound"|"outbound"' }]);
  });
});
