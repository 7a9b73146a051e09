import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InstanceConfig } from '../../src/config/instance-config.js';
import { Scheduler, type ManualClock } from '../../src/scheduler/index.js';
import { testClock } from '../support/clock.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import type { SyncRecord } from '../../src/store/sync-record.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { BACKENDS } from '../store/backends.js';

const HOUR = 3_600_000;

describe.each(BACKENDS)('scheduler against the emulator on $name', (backend) => {
  let emulator: TestEmulator;
  let db: { url: string; drop: () => Promise<void> };
  let store: GraphStore;
  let hourly: InstanceConfig;
  let onDemand: InstanceConfig;

  beforeAll(async () => {
    emulator = await startTestEmulator({ machines: 10, users: 15 });
    db = await backend.create('scheduler');
    store = await openGraphStore(db.url);
    hourly = { ...emulator.config, name: 'hourly', pollingInterval: 'ONE_HOUR' };
    onDemand = { ...emulator.config, name: 'on-demand', pollingInterval: 'DISABLED' };
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
    await emulator?.close();
  });

  function scheduler(clock: ManualClock, synced: SyncRecord[]): Scheduler {
    return new Scheduler({
      store,
      instances: [hourly, onDemand],
      clock,
      runSync: (instance, signal) => syncInstance({ instance, store, signal }),
      hooks: { afterSync: async (record) => void synced.push(record) },
    });
  }

  const names = (records: SyncRecord[]) => records.map((r) => `${r.instanceName}:${r.status}`);

  it('syncs a never-synced instance at once, then once per interval, coalescing missed runs; DISABLED only on request', async () => {
    const { clock, advance } = testClock();
    const synced: SyncRecord[] = [];
    const first = scheduler(clock, synced);
    await first.tick();
    await first.idle();
    expect(names(synced)).toEqual(['hourly:success']);
    expect(await first.nextSyncAt('on-demand')).toBeUndefined();

    await first.tick();
    await first.idle();
    expect(synced).toHaveLength(1);
    expect((await first.nextSyncAt('hourly'))!.getTime()).toBe(synced[0]!.startedOn + HOUR);

    // A restart neither skips nor doubles: the next run comes from the stored last sync.
    const restarted = scheduler(clock, synced);
    advance(HOUR - 60_000);
    await restarted.tick();
    await restarted.idle();
    expect(synced).toHaveLength(1);

    // Five hours missed are one run.
    advance(5 * HOUR);
    await restarted.tick();
    await restarted.tick();
    await restarted.idle();
    expect(names(synced)).toEqual(['hourly:success', 'hourly:success']);

    expect(await restarted.requestSync('on-demand')).toEqual({ queued: true });
    expect(await restarted.requestSync('nope')).toEqual({
      queued: false,
      reason: 'no instance named "nope" is configured',
    });
    expect((await restarted.nextSyncAt('on-demand'))!.getTime()).toBe(clock.now());
    await restarted.tick();
    await restarted.idle();
    expect(names(synced)).toEqual(['hourly:success', 'hourly:success', 'on-demand:success']);
    expect(await restarted.nextSyncAt('on-demand')).toBeUndefined();
  });

  it('on stop, a sync that does not finish within the grace period is marked failed and its lock released', async () => {
    const { clock, advance } = testClock();
    advance(10 * HOUR);
    const synced: SyncRecord[] = [];
    const service = scheduler(clock, synced);
    await emulator.setFaults({ latencyMs: 300, paths: ['/defender/api/machines/'] });
    try {
      await service.tick();
      expect(service.runningSyncs()).toEqual(['hourly']);
      await service.stop(50);
    } finally {
      await emulator.clearFaults();
    }
    expect(synced.map((r) => [r.instanceName, r.status, r.error])).toEqual([
      ['hourly', 'failed', 'stopped: the service shut down before the sync committed'],
    ]);
    const [locks] = await store.read<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM instance_locks',
      [],
    );
    expect(Number(locks!.n)).toBe(0);
    // Nothing is left locked: a new sync of the instance starts and commits.
    const next = await syncInstance({ instance: hourly, store });
    expect(next.status).toBe('success');
    expect(service.runningSyncs()).toEqual([]);
  });
});
