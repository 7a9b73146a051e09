import { describe, expect, it } from 'vitest';
import { OverlayCollection } from '../../src/emulator/tenant/collection.js';
import { IndexedIds } from '../../src/emulator/tenant/ids.js';
import { Random } from '../../src/emulator/tenant/random.js';

describe('OverlayCollection', () => {
  const ids = new IndexedIds(1, 2, 'sha1');
  const make = (size: number) =>
    new OverlayCollection(
      (i) => ({ id: ids.id(i), n: i }),
      (id) => ids.indexOf(id),
      size,
    );

  it('keeps at(), byId() and iteration in agreement through removals, patches and additions', () => {
    const c = make(500);
    const r = new Random(9);
    for (let k = 0; k < 200; k++) c.remove(r.int(c.allocated()));
    for (let k = 0; k < 30; k++) c.append();
    const patched = c.at(5) as { id: string; n: number };
    c.patch(patched.n, { n: -1 });
    const live = [...c];
    expect(c.count()).toBe(live.length);
    expect(live.length).toBeGreaterThan(300);
    const indexes = live.map((item) => ids.indexOf(item.id) as number);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(c.byId(patched.id)?.n).toBe(-1);
    live.forEach((item, position) => {
      expect(c.at(position)).toEqual(item);
      expect(c.byId(item.id)).toEqual(item);
    });
    expect(c.at(live.length)).toBeUndefined();
  });

  it('forgets removed items and ignores ids it did not issue', () => {
    const c = make(10);
    const id = ids.id(4);
    c.remove(4);
    expect(c.byId(id)).toBeUndefined();
    expect(c.count()).toBe(9);
    expect(c.at(4)?.n).toBe(5);
    expect(c.byId(new IndexedIds(1, 3, 'sha1').id(4))).toBeUndefined();
    expect(c.byId(ids.id(10))).toBeUndefined();
    expect(c.byId('xyz')).toBeUndefined();
  });
});

describe('IndexedIds', () => {
  it('round-trips indexes across the 32-bit range and rejects altered ids', () => {
    const ids = new IndexedIds(77, 5, 'guid');
    for (const i of [0, 1, 2, 1_000, 123_456, 2 ** 31, 2 ** 32 - 1])
      expect(ids.indexOf(ids.id(i))).toBe(i);
    const id = ids.id(42);
    expect(ids.indexOf(id.toUpperCase())).toBe(42);
    expect(
      ids.indexOf(`0${id.slice(1)}` === id ? `1${id.slice(1)}` : `0${id.slice(1)}`),
    ).toBeUndefined();
    expect(new Set(Array.from({ length: 1000 }, (_, i) => ids.id(i).slice(-8))).size).toBe(1000);
  });
});
