import { describe, expect, it } from 'vitest';
import { createDocumentClient, createDynamoDbClient } from '../../shared/db/client.ts';

// The SDK's logger middleware redacts a copy of every input and output for a logger we never
// configure; an SDK upgrade that renames it would bring that cost back without a word.
describe('the DynamoDB clients', () => {
  it('carry no SDK logger middleware', () => {
    const names = createDynamoDbClient({ region: 'local' }).middlewareStack.identify();

    expect(names.some((name) => name.startsWith('loggerMiddleware'))).toBe(false);
    expect(names.some((name) => name.startsWith('retryMiddleware'))).toBe(true);
  });

  it('carry none through the document client either', () => {
    const names = createDocumentClient({ region: 'local' }).middlewareStack.identify();

    expect(names.some((name) => name.startsWith('loggerMiddleware'))).toBe(false);
  });
});
