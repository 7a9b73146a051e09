import stableStringify from 'fast-json-stable-stringify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { BACKENDS } from '../store/backends.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

const HUNTING = 'defender POST /api/advancedqueries/run';
const PER_MACHINE = 'defender GET /api/machines/{id}/logonusers';

/** Metadata that names the sync or the store (ids, times), not the object. */
const SYNC_METADATA = ['_id', '_createdOn', '_beginOn', '_endOn', '_integrationInstanceId'];

/** Every committed object, without sync metadata, by `_key`; raw data left out (its source differs). */
async function committedGraph(store: GraphStore): Promise<Map<string, Record<string, unknown>>> {
  const objects = new Map<string, Record<string, unknown>>();
  for (const kind of ['entity', 'relationship'] as const) {
    await store.iterate({ kind }, (object) => {
      const kept = Object.fromEntries(
        Object.entries(object).filter(([k]) => !SYNC_METADATA.includes(k) && k !== '_rawData'),
      );
      objects.set(`${kind}:${String(object._key)}`, kept);
    });
  }
  return objects;
}

async function changeHashes(store: GraphStore): Promise<string[]> {
  const rows = await store.read<{ key: string; hash: string; version: number }>(
    'SELECT key, hash, version FROM entities UNION ALL SELECT key, hash, version FROM relationships',
    [],
  );
  return rows.map((r) => `${r.key}@${r.version}:${r.hash}`).sort();
}

describe.each(BACKENDS)('logon-user paths give one graph on $name', (backend) => {
  let te: TestEmulator;
  const stores: Record<'hunting' | 'perMachine', GraphStore> = {} as never;
  const drops: (() => Promise<void>)[] = [];
  const calls: Record<string, Record<string, number>> = {};

  beforeAll(async () => {
    te = await startTestEmulator({
      seed: 17,
      users: 90,
      machines: 45,
      logonUsersPerMachine: 4,
      advancedHunting: true,
      huntingRowCap: 40,
    });
    for (const path of ['hunting', 'perMachine'] as const) {
      const db = await backend.create(`logon-${path}`);
      drops.push(db.drop);
      stores[path] = await openGraphStore(db.url);
      // The per-machine store syncs with the permission withdrawn: its token lacks the role.
      if (path === 'perMachine')
        await te.setFaults({ revokePermissions: ['defender:AdvancedQuery.Read.All'] });
      const record = await syncInstance({ instance: te.config, store: stores[path] });
      expect(record.status, record.error ?? '').toBe('success');
      calls[path] = record.apiCalls as Record<string, number>;
    }
    await te.clearFaults();
  });
  afterAll(async () => {
    for (const store of Object.values(stores)) await store?.close();
    for (const drop of drops) await drop();
    await te?.close();
  });

  it('each sync took its path: bulk queries in device ranges, or one call per machine', async () => {
    const truth = await te.truth({ lists: false });
    expect(calls.hunting![PER_MACHINE]).toBeUndefined();
    // Under a 40-row cap: at least ⌈pairs / 40⌉ ranges, and a cut answer loses at most a device.
    const pairs = truth.counts.machineLogonUserPairs;
    expect(calls.hunting![HUNTING]).toBeGreaterThanOrEqual(Math.ceil(pairs / 40));
    expect(calls.hunting![HUNTING]).toBeLessThanOrEqual(Math.ceil(pairs / 30) + 1);
    expect(calls.perMachine![HUNTING]).toBeUndefined();
    expect(calls.perMachine![PER_MACHINE]).toBe(truth.counts.machines);
  });

  it('the committed graphs are equal object by object, and so are their change hashes', async () => {
    const hunting = await committedGraph(stores.hunting);
    const perMachine = await committedGraph(stores.perMachine);
    expect(hunting.size).toBe(perMachine.size);
    expect([...hunting.keys()].sort()).toEqual([...perMachine.keys()].sort());
    const different = [...hunting.keys()].filter(
      (key) => stableStringify(hunting.get(key)) !== stableStringify(perMachine.get(key)),
    );
    expect(different.map((key) => [hunting.get(key), perMachine.get(key)]).slice(0, 3)).toEqual([]);
    expect(await changeHashes(stores.hunting)).toEqual(await changeHashes(stores.perMachine));
    const truth = await te.truth({ lists: false });
    const logonPairs = [...hunting.keys()].filter((k) =>
      k.includes('|has|microsoft_defender_logon_user:'),
    );
    expect(logonPairs).toHaveLength(truth.counts.machineLogonUserPairs);
  });
});
