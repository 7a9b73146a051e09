import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, StoreError, type GraphStore } from '../../src/store/index.js';

describe('js_regexp on a SQLite store', () => {
  let dir: string;
  let store: GraphStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dg-regexp-'));
    store = await openGraphStore(`sqlite:${join(dir, 'graph.db')}`);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const test = async (pattern: string, flags: string, text: unknown) => {
    const [row] = await store.read<{ m: number }>('SELECT js_regexp(?, ?, ?) AS m', [
      pattern,
      flags,
      text,
    ]);
    return row!.m;
  };

  it('matches anywhere in text with JavaScript syntax and flags', async () => {
    expect(await test('S-0\\d', '', 'ws-001')).toBe(0);
    expect(await test('S-0\\d', 'i', 'ws-001')).toBe(1);
    expect(await test('^ws-(?:001|002)$', '', 'ws-002')).toBe(1);
  });

  it('never matches a number or NULL', async () => {
    expect(await test('7', '', 7)).toBe(0);
    expect(await test('.*', '', null)).toBe(0);
  });

  it('names an invalid pattern', async () => {
    await expect(test('ws-(', '', 'ws-001')).rejects.toThrow(StoreError);
    await expect(test('ws-(', '', 'ws-001')).rejects.toThrow(
      /invalid regular expression \/ws-\(\//,
    );
  });
});
