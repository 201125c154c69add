import { describe, expect, it } from 'vitest';
import { updateExpression } from '../../shared/db/update-expression.ts';

describe('the update-expression builder', () => {
  it('names every attribute and gives every value a placeholder of its own', () => {
    const parts = updateExpression().set('status', 'open').set(['identifiers', 'email#a.b@example.com', 'shared'], true).build();

    expect(parts).toEqual({
      UpdateExpression: 'SET #u0 = :u0, #u1.#u2.#u3 = :u1',
      ExpressionAttributeNames: { '#u0': 'status', '#u1': 'identifiers', '#u2': 'email#a.b@example.com', '#u3': 'shared' },
      ExpressionAttributeValues: { ':u0': 'open', ':u1': true },
    });
  });

  it('names an attribute once however often the update touches it', () => {
    const parts = updateExpression().setIfMissing('detectedAt', 'a').append('sharedWith', ['c'], { orEmpty: true }).build();

    expect(parts.UpdateExpression).toBe('SET #u0 = if_not_exists(#u0, :u0), #u1 = list_append(if_not_exists(#u1, :u1), :u2)');
    expect(parts.ExpressionAttributeNames).toEqual({ '#u0': 'detectedAt', '#u1': 'sharedWith' });
    expect(parts.ExpressionAttributeValues).toEqual({ ':u0': 'a', ':u1': [], ':u2': ['c'] });
  });

  it('writes SET, REMOVE and ADD clauses and ANDs the guards, keeping their own placeholders', () => {
    const parts = updateExpression()
      .add('version', 1)
      .remove('gsi1pk', ['traits', 'tier'])
      .append('lateContacts', ['/a'])
      .when('attribute_exists(pk)')
      .when('#entity = :customerEntity', { ':customerEntity': 'customer' }, { '#entity': 'entity' })
      .build();

    expect(parts).toEqual({
      UpdateExpression: 'SET #u4 = list_append(#u4, :u1) REMOVE #u1, #u2.#u3 ADD #u0 :u0',
      ConditionExpression: 'attribute_exists(pk) AND #entity = :customerEntity',
      ExpressionAttributeNames: { '#u0': 'version', '#u1': 'gsi1pk', '#u2': 'traits', '#u3': 'tier', '#u4': 'lateContacts', '#entity': 'entity' },
      ExpressionAttributeValues: { ':u0': 1, ':u1': ['/a'], ':customerEntity': 'customer' },
    });
  });

  it('leaves out the name and value maps when nothing needs them (DynamoDB refuses empty ones)', () => {
    const parts = updateExpression().remove('identityLock').when('attribute_exists(pk)').build();

    expect(parts).toEqual({
      UpdateExpression: 'REMOVE #u0',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#u0': 'identityLock' },
    });
  });

  it('keeps trait names such as __proto__ as plain attribute names', () => {
    const parts = updateExpression().set(['traits', '__proto__'], 'x').set(['traits', 'constructor'], 'y').build();

    expect(parts.ExpressionAttributeNames).toEqual({ '#u0': 'traits', '#u1': '__proto__', '#u2': 'constructor' });
    expect(Object.keys(parts.ExpressionAttributeValues ?? {})).toEqual([':u0', ':u1']);
  });

  it('refuses a guard placeholder that could collide with its own, one placeholder for two values, and an empty update', () => {
    expect(() => updateExpression().set('a', 1).when('b = :u0', { ':u0': 2 })).toThrow(/builder's own/);
    expect(() => updateExpression().when('a = :x', { ':x': 1 }).when('b = :x', { ':x': 2 })).toThrow(/two values/);
    expect(() => updateExpression().when('attribute_exists(pk)').build()).toThrow(/must change something/);
  });
});
