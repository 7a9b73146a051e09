import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../src/integration/index.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import type { SyncRecord } from '../../src/store/sync-record.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { BACKENDS } from '../store/backends.js';

/** Churn that touches every kind the delta paths handle: users, memberships, machines, logons. */
const CHURN = { users: 4, groups: 3, machines: 3, logons: 5, vulnerabilities: 3 };

/** The committed graph as comparable data: key → type, class, endpoints and properties. */
async function graphOf(store: GraphStore): Promise<Map<string, unknown>> {
  const objects = new Map<string, unknown>();
  for (const kind of ['entity', 'relationship'] as const) {
    await store.iterate({ kind }, (object) => {
      const visible = Object.entries(object).filter(
        ([name]) =>
          !name.startsWith('_') ||
          ['_type', '_class', '_fromEntityKey', '_toEntityKey'].includes(name),
      );
      objects.set(
        `${kind}:${object._key}`,
        Object.fromEntries(visible.sort(([a], [b]) => a.localeCompare(b))),
      );
    });
  }
  return objects;
}

function expectSameGraph(incremental: Map<string, unknown>, full: Map<string, unknown>): void {
  expect([...incremental.keys()].sort()).toEqual([...full.keys()].sort());
  for (const [key, object] of full)
    expect({ key, object: incremental.get(key) }).toEqual({ key, object });
}

const calls = (record: SyncRecord, label: string) => record.apiCalls[label] ?? 0;

describe.each(BACKENDS)('incremental sync on $name', (backend) => {
  let emulator: TestEmulator;
  const drops: (() => Promise<void>)[] = [];
  const stores: GraphStore[] = [];

  async function newStore(label: string): Promise<GraphStore> {
    const db = await backend.create(label);
    drops.push(db.drop);
    const store = await openGraphStore(db.url);
    stores.push(store);
    return store;
  }

  const sync = (store: GraphStore, options: { full?: boolean; maxDeleteShare?: number } = {}) =>
    syncInstance({ instance: emulator.config, store, ...options });

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const drop of drops.splice(0)) await drop();
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('gives exactly the graph a full sync gives, after two rounds of churn', async () => {
    const incremental = await newStore('incremental');
    expect((await sync(incremental)).status).toBe('success');
    for (let round = 0; round < 2; round++) {
      const report = await emulator.advance(CHURN);
      const record = await sync(incremental);
      expect(record.status).toBe('success');
      // Delta rounds, not listings; logon users only for new and changed machines.
      expect(calls(record, 'graph GET /users')).toBe(0);
      expect(calls(record, 'graph GET /groups/{id}/members')).toBe(0);
      expect(calls(record, 'graph GET /users/delta')).toBeGreaterThan(0);
      expect(calls(record, 'graph GET /groups/delta')).toBeGreaterThan(0);
      const changedMachines = new Set([
        ...report.machines.onboarded,
        ...report.machines.updated.map((u) => u.id),
      ]);
      expect(calls(record, 'defender GET /api/machines/{id}/logonusers')).toBe(
        changedMachines.size,
      );
      // `@removed` deletes: exactly the users churn deleted.
      expect(record.typeCounts[ENTITIES.USER._type]?.deleted ?? 0).toBe(
        report.users.deleted.length,
      );

      const full = await newStore(`full-${round}`);
      expect((await sync(full)).status).toBe('success');
      expectSameGraph(await graphOf(incremental), await graphOf(full));
    }
  });

  it.each(['410', 'syncStateNotFound'] as const)(
    'falls back to a full listing when the delta token expired (%s), deleting nothing wrongly',
    async (response) => {
      const incremental = await newStore(`expired-${response}`);
      await sync(incremental);
      const report = await emulator.advance(CHURN);
      await emulator.expireDeltaTokens(response);
      const record = await sync(incremental);
      expect(record.status).toBe('success');
      expect(calls(record, 'graph GET /users')).toBeGreaterThan(0);
      expect(calls(record, 'graph GET /groups/{id}/members')).toBeGreaterThan(0);
      expect(record.typeCounts[ENTITIES.USER._type]?.deleted ?? 0).toBe(
        report.users.deleted.length,
      );
      const full = await newStore(`expired-full-${response}`);
      await sync(full);
      expectSameGraph(await graphOf(incremental), await graphOf(full));
      // The fallback saved fresh tokens: the next sync is incremental again.
      await emulator.advance(CHURN);
      expect(calls(await sync(incremental), 'graph GET /users')).toBe(0);
    },
  );

  it('lists everything again when the saved delta links are for another Graph address', async () => {
    // The same tenant served at two addresses (a restarted emulator, a changed endpoint); the
    // suite's emulator has been churned by now, so both are fresh.
    const [first, moved] = [await startTestEmulator(), await startTestEmulator()];
    try {
      const store = await newStore('moved');
      await syncInstance({ instance: first.config, store });
      const record = await syncInstance({ instance: moved.config, store });
      expect([record.status, record.heldBack]).toEqual(['success', []]);
      expect(calls(record, 'graph GET /users')).toBeGreaterThan(0);
      expect(calls(record, 'graph GET /users/delta')).toBe(1);
      expect(calls(record, 'graph GET /groups/{id}/members')).toBeGreaterThan(0);
      const full = await newStore('moved-full');
      await syncInstance({ instance: moved.config, store: full });
      expectSameGraph(await graphOf(store), await graphOf(full));
    } finally {
      await first.close();
      await moved.close();
    }
  });

  it('holds back deletions a delta reports beyond the share, then reconciles in full', async () => {
    const store = await newStore('protection');
    await sync(store);
    const users = (await emulator.truth({ lists: false })).counts.users;
    const report = await emulator.advance({ users: 10 });
    const held = await sync(store, { maxDeleteShare: 0.1 });
    expect(held.status).toBe('success');
    expect(held.heldBack.map((h) => h.type)).toContain(ENTITIES.USER._type);
    expect(held.typeCounts[ENTITIES.USER._type]?.deleted ?? 0).toBe(0);
    const kept = await store.read<{ n: number }>(
      `SELECT COUNT(*) AS n FROM entities WHERE type = '${ENTITIES.USER._type}' AND deleted = FALSE`,
      [],
    );
    expect(Number(kept[0]!.n)).toBe(users + report.users.added.length);
    // Held-back objects are ones a full sync would not list: the next sync is a full reconcile.
    const next = await sync(store);
    expect(calls(next, 'graph GET /users')).toBeGreaterThan(0);
    expect(next.typeCounts[ENTITIES.USER._type]?.deleted ?? 0).toBe(report.users.deleted.length);
  });

  it('reconciles in full every Nth sync and when asked', async () => {
    const store = await newStore('interval');
    const every3 = { ...emulator.config, fullSyncInterval: 3 };
    const listed = async (options: { full?: boolean } = {}) =>
      calls(await syncInstance({ instance: every3, store, ...options }), 'graph GET /users') > 0;
    expect([
      await listed(),
      await listed(),
      await listed(),
      await listed(),
      await listed({ full: true }),
    ]).toEqual([true, false, false, true, true]);
  });
});
