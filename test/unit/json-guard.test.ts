import { describe, expect, it } from 'vitest';
import { jsonDefect, maxJsonDepth } from '../../shared/http/json-guard.ts';

describe('the JSON body guard', () => {
  it('accepts an ordinary touchpoint body', () => {
    const body = JSON.stringify({ channel: 'call', identifiers: { phone: '+44 20 7946 0018' }, details: { to: ['a', 'b'], nested: { x: 1 } } });

    expect(jsonDefect(body)).toBeUndefined();
  });

  it('refuses a key that appears twice in one object', () => {
    expect(jsonDefect('{"channel":"call","channel":"sms"}')).toMatch(/"channel" appears twice/);
  });

  it('refuses a duplicate key in a nested object', () => {
    expect(jsonDefect('{"identifiers":{"phone":"1","phone":"2"}}')).toMatch(/"phone" appears twice/);
  });

  it('sees through escapes: "a" and "\\u0061" are the same key', () => {
    expect(jsonDefect('{"a":1,"\\u0061":2}')).toMatch(/appears twice/);
  });

  it('allows the same key in sibling objects and in an object inside an array', () => {
    expect(jsonDefect('{"items":[{"a":1},{"a":2}],"b":{"a":3},"a":4}')).toBeUndefined();
  });

  it('does not take a string value for a key', () => {
    expect(jsonDefect('{"a":"b","c":"b","b":1}')).toBeUndefined();
  });

  it('does not trip over braces, quotes and colons inside strings', () => {
    expect(jsonDefect('{"a":"{\\"a\\":1}:","b":"}]","c":"\\\\"}')).toBeUndefined();
  });

  it(`refuses nesting deeper than ${maxJsonDepth} levels`, () => {
    const deep = `${'['.repeat(maxJsonDepth + 1)}${']'.repeat(maxJsonDepth + 1)}`;

    expect(jsonDefect(deep)).toMatch(/nests deeper/);
  });

  it(`accepts nesting of exactly ${maxJsonDepth} levels`, () => {
    expect(jsonDefect(`${'{"a":'.repeat(maxJsonDepth - 1)}{}${'}'.repeat(maxJsonDepth - 1)}`)).toBeUndefined();
  });

  it.each(['"\\ud800"', '"\\udc00x"', '{"\\ud83d":1}', '["a\\ud800b"]'])('refuses the lone surrogate in %s', (text) => {
    expect(jsonDefect(text)).toMatch(/lone UTF-16 surrogate/);
  });

  it('accepts a surrogate pair (an emoji) written as escapes', () => {
    expect(jsonDefect('{"summary":"\\ud83d\\ude00 thanks"}')).toBeUndefined();
  });
});
