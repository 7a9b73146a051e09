import { describe, expect, it } from 'vitest';
import { chooseSyncMode, nextSyncEntry, parseFullSyncInterval } from '../../src/sync/sync-mode.js';

const HOUR = 3_600_000;
const saved = (fullSyncOn: number, syncsSinceFull: number) => ({
  sync: { fullSyncOn: String(fullSyncOn), syncsSinceFull: String(syncsSinceFull) },
});

describe('full or incremental', () => {
  it('parses fullSyncInterval: a number of syncs, or minutes, hours, days (default a day)', () => {
    expect(parseFullSyncInterval(5)).toEqual({ syncs: 5 });
    expect(parseFullSyncInterval('30m')).toEqual({ ms: 30 * 60_000 });
    expect(parseFullSyncInterval('12h')).toEqual({ ms: 12 * HOUR });
    expect(parseFullSyncInterval(undefined)).toEqual({ ms: 24 * HOUR });
    expect(() => parseFullSyncInterval('1w')).toThrow(
      'fullSyncInterval: "1w" is neither a number of syncs nor a duration like 12h',
    );
  });

  it('is incremental until the duration has passed since the last full sync', () => {
    const interval = { ms: 12 * HOUR };
    const decide = (now: number) =>
      chooseSyncMode({ forceFull: false, state: saved(0, 7), interval, now }).mode;
    expect([decide(12 * HOUR - 1), decide(12 * HOUR)]).toEqual(['incremental', 'full']);
  });

  it('is full when asked, or when nothing was saved', () => {
    const interval = { syncs: 10 };
    expect(chooseSyncMode({ forceFull: true, state: saved(0, 1), interval, now: 1 })).toEqual({
      mode: 'full',
      reason: 'asked for (--full)',
    });
    expect(chooseSyncMode({ forceFull: false, state: {}, interval, now: 1 }).mode).toBe('full');
  });

  it('counts syncs since the last full one, and restarts the count at a full one', () => {
    const incremental = { mode: 'incremental' as const, reason: '' };
    const full = { mode: 'full' as const, reason: '' };
    expect(nextSyncEntry(incremental, saved(5, 2), 9)).toEqual({
      fullSyncOn: '5',
      syncsSinceFull: '3',
    });
    expect(nextSyncEntry(full, saved(5, 2), 9)).toEqual({ fullSyncOn: '9', syncsSinceFull: '0' });
  });
});
