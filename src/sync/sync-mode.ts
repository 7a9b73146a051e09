import type { SyncMode, SyncState } from '../graph/types.js';

/** The run's own entry in the saved state: when the last full reconcile was, and syncs since. */
export const SYNC_STATE_ENTRY = 'sync';

/** Default `fullSyncInterval`: a full reconcile at least daily (delta tokens last 7 days). */
export const DEFAULT_FULL_SYNC_INTERVAL = '1d';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `fullSyncInterval`: a number is "every Nth sync", a duration (`30m`, `12h`, `1d`) a longest gap. */
export type FullSyncInterval = { syncs: number } | { ms: number };

export function parseFullSyncInterval(value: number | string | undefined): FullSyncInterval {
  const raw = value ?? DEFAULT_FULL_SYNC_INTERVAL;
  if (typeof raw === 'number') return { syncs: raw };
  const match = /^(\d+)([mhd])$/.exec(raw);
  if (!match)
    throw new Error(
      `fullSyncInterval: "${raw}" is neither a number of syncs nor a duration like 12h`,
    );
  return { ms: Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] };
}

export interface ModeDecision {
  mode: SyncMode;
  reason: string;
}

/**
 * Full when asked (`sync --full`), when nothing was saved (first sync, or the last commit held
 * deletions back), or when the interval since the last full reconcile has run out.
 */
export function chooseSyncMode(options: {
  forceFull: boolean;
  state: SyncState;
  interval: FullSyncInterval;
  now: number;
}): ModeDecision {
  if (options.forceFull) return { mode: 'full', reason: 'asked for (--full)' };
  const entry = options.state[SYNC_STATE_ENTRY];
  if (!entry)
    return {
      mode: 'full',
      reason: 'no saved sync state (first sync, or the last one reconciled nothing)',
    };
  const { interval } = options;
  if ('syncs' in interval && Number(entry.syncsSinceFull) + 1 >= interval.syncs)
    return { mode: 'full', reason: `every ${interval.syncs} syncs (fullSyncInterval)` };
  if ('ms' in interval && options.now - Number(entry.fullSyncOn) >= interval.ms)
    return { mode: 'full', reason: 'fullSyncInterval has passed since the last full sync' };
  return { mode: 'incremental', reason: 'changes since the last committed sync' };
}

/** The run's entry for the next decision. */
export function nextSyncEntry(
  decision: ModeDecision,
  state: SyncState,
  now: number,
): Record<string, string> {
  if (decision.mode === 'full') return { fullSyncOn: String(now), syncsSinceFull: '0' };
  const entry = state[SYNC_STATE_ENTRY]!;
  return {
    fullSyncOn: entry.fullSyncOn!,
    syncsSinceFull: String(Number(entry.syncsSinceFull) + 1),
  };
}
