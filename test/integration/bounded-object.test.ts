import { describe, expect, it } from 'vitest';
import {
  boundObject,
  DEEPER_THAN_LIMIT,
  OBJECT_LIMITS,
} from '../../src/integration/bounded-object.js';

function nested(depth: number): Record<string, unknown> {
  let inner: unknown = 'leaf';
  for (let i = 0; i < depth; i++) inner = { a: inner };
  return inner as Record<string, unknown>;
}

describe('boundObject', () => {
  it('returns an object within the limits as it is', () => {
    const object = { _key: 'k', name: 'n', deep: nested(31), list: [1, 'two', null] };
    const bounded = boundObject(object);
    expect(bounded.object).toBe(object);
    expect(bounded.truncated).toEqual([]);
  });

  it('keeps 32 levels of a 5,000-level property, cuts the rest and says where', () => {
    const bounded = boundObject<Record<string, unknown>>({
      _key: 'k',
      name: 'n',
      deep: nested(5_000),
    });
    const path = `deep${'.a'.repeat(32)}`;
    expect(bounded.truncated).toEqual([`${path} (nested deeper than 32 levels)`]);
    expect(bounded.object.truncatedPaths).toEqual(bounded.truncated);
    expect(bounded.object.name).toBe('n');
    let at: unknown = bounded.object.deep;
    for (let i = 0; i < 31; i++) at = (at as Record<string, unknown>).a;
    expect(at).toEqual({ a: DEEPER_THAN_LIMIT });
  });

  it('survives a million levels without overflowing the stack', () => {
    const bounded = boundObject({ deep: nested(1_000_000) });
    expect(bounded.truncated).toHaveLength(1);
  });

  it('cuts a string longer than the limit to the limit, never inside a surrogate pair', () => {
    const long = `${'x'.repeat(OBJECT_LIMITS.maxStringLength - 1)}😀tail`;
    const bounded = boundObject<Record<string, unknown>>({ title: long, other: 'kept' });
    expect(bounded.object.title).toBe('x'.repeat(OBJECT_LIMITS.maxStringLength - 1));
    expect(bounded.object.other).toBe('kept');
    expect(bounded.truncated).toEqual(['title (longer than 1048576 characters)']);
  });

  it('keeps the first values of an object with too many and says after which it stopped', () => {
    const limits = { maxDepth: 32, maxStringLength: 100, maxValues: 5 };
    const bounded = boundObject({ a: 1, b: [1, 2, 3], c: 'lost', d: 'lost' }, limits);
    expect(bounded.object).toEqual({
      a: 1,
      b: [1, 2, 3],
      truncatedPaths: ['c (and everything after it: more than 5 values)'],
    });
  });

  it('lists at most 20 cut paths and counts the rest', () => {
    const limits = { maxDepth: 32, maxStringLength: 1, maxValues: 1000 };
    const object = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`p${i}`, 'long']));
    const listed = boundObject(object, limits).object.truncatedPaths as unknown as string[];
    expect(listed).toHaveLength(21);
    expect(listed[0]).toBe('p0 (longer than 1 characters)');
    expect(listed[20]).toBe('… and 5 more');
  });
});
