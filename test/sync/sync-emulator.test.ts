import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import type { ChangeReport } from '../../src/emulator/tenant/types.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { BACKENDS } from '../store/backends.js';
import { declaredTypes } from '../../src/integration/declarations.js';
import { PEOPLE_STEP } from '../../src/people/declarations.js';
import { runCli, startCli, waitForStderr, writeConfig } from './cli.js';
import { expectedChanges, snapshotRelationships } from './expected-changes.js';

const VULNERABILITY_TYPES = [
  'microsoft_defender_vulnerability',
  'microsoft_defender_machine_identified_vulnerability',
  'microsoft_defender_vulnerability_is_cve',
  'cve',
];

interface ChangesJson {
  syncs: { id: number; status: string }[];
  created: { key: string; type: string }[];
  updated: {
    key: string;
    type: string;
    changes: { property: string; before?: unknown; after?: unknown }[];
  }[];
  deleted: { key: string; type: string }[];
}

/** The collector's changes: the people mapping's own are checked in test/people/sync-people.test.ts. */
const PEOPLE_TYPES = new Set(declaredTypes(PEOPLE_STEP));
function collectedChanges(changes: ChangesJson): ChangesJson {
  const collected = <T extends { type: string }>(list: T[]) =>
    list.filter((c) => !PEOPLE_TYPES.has(c.type));
  return {
    syncs: changes.syncs,
    created: collected(changes.created),
    updated: collected(changes.updated),
    deleted: collected(changes.deleted),
  };
}

/** The user type's counts one churn round implies (a user added or deleted is not also updated). */
function userCounts(report: ChangeReport): { created: number; updated: number; deleted: number } {
  const { added, deleted, disabled, updated } = report.users;
  const changed = new Set(
    [...disabled, ...updated].filter((id) => ![...added, ...deleted].includes(id)),
  );
  return { created: added.length, updated: changed.size, deleted: deleted.length };
}

describe.each(BACKENDS)('sync against the emulator on $name', (backend) => {
  let emulator: TestEmulator;
  let store: GraphStore;
  let db: { url: string; drop: () => Promise<void> };
  let dir: string;
  let config: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    db = await backend.create('e2e');
    store = await openGraphStore(db.url);
    dir = mkdtempSync(join(tmpdir(), 'dg-sync-'));
    config = writeConfig(dir, emulator.config);
  });
  afterAll(async () => {
    await store?.close();
    await emulator?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli([...args, '--db', db.url], env);
  const sync = () => cli(['sync', '--config', config, '--json']);
  const q = (sql: string) => {
    let n = 0;
    return store.dialect === 'postgres' ? sql.replace(/\?/g, () => `$${++n}`) : sql;
  };

  const relationships = async () => snapshotRelationships(store, await emulator.truth());

  /** Every committed row and version: equal snapshots mean the graph is untouched. */
  async function graphState(): Promise<string[]> {
    const rows = await store.read<{ key: string; version: number; deleted: unknown; hash: string }>(
      `SELECT key, version, deleted, hash FROM entities UNION ALL SELECT key, version, deleted, hash FROM relationships
       UNION ALL SELECT key, version, deleted, hash FROM entity_versions UNION ALL SELECT key, version, deleted, hash FROM relationship_versions`,
      [],
    );
    return rows.map((r) => `${r.key}@${r.version}:${Boolean(r.deleted)}:${r.hash}`).sort();
  }

  async function syncStatus(id: number): Promise<{ status: string; error: string | null }> {
    const [row] = await store.read<{ status: string; error: string | null }>(
      q('SELECT status, error FROM syncs WHERE id = ?'),
      [id],
    );
    return row!;
  }

  it('reports exactly the changes /admin/advance made, no more and no fewer', async () => {
    const first = await sync();
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).status).toBe('success');
    const truth = await emulator.truth({ lists: false });
    const [{ n: users }] = (await store.read<{ n: number }>(
      "SELECT COUNT(*) AS n FROM entities WHERE type = 'microsoft_defender_user' AND deleted = FALSE",
      [],
    )) as [{ n: number }];
    expect(Number(users)).toBe(truth.counts.users);
    // The mapper's cve placeholders are Vulnerabilities, as JupiterOne's global cve entities.
    const [{ n: cves }] = (await store.read<{ n: number }>(
      "SELECT COUNT(*) AS n FROM entities WHERE type = 'cve' AND deleted = FALSE",
      [],
    )) as [{ n: number }];
    expect(Number(cves)).toBeGreaterThan(0);
    const vulnerabilities = await cli(['query', '--json', '--all', 'FIND Vulnerability']);
    expect(vulnerabilities.code, vulnerabilities.stderr).toBe(0);
    const found = (JSON.parse(vulnerabilities.stdout) as { data: { entity: { _type: string } }[] })
      .data;
    expect(found.map((d) => d.entity._type)).toEqual(Array<string>(Number(cves)).fill('cve'));

    const before = await relationships();
    const report = await emulator.advance();
    const second = await sync();
    expect(second.code, second.stderr).toBe(0);
    const after = await relationships();

    const changes = await cli(['changes', '--json']);
    expect(changes.code, changes.stderr).toBe(0);
    const reported = collectedChanges(JSON.parse(changes.stdout) as ChangesJson);
    expect(reported.syncs.map((s) => s.id)).toEqual([JSON.parse(second.stdout).id]);
    const expected = expectedChanges(report, emulator.emulator.tenantId, before, after);
    expect(
      expected.created.length + expected.deleted.length + expected.updated.length,
    ).toBeGreaterThan(10);
    expect(reported.created.map((c) => c.key).sort()).toEqual(expected.created);
    expect(reported.deleted.map((c) => c.key).sort()).toEqual(expected.deleted);
    expect(reported.updated.map((c) => c.key).sort()).toEqual(expected.updated);

    // The seeded tenant's round disables users (TEST_TENANT_SIZES, default churn).
    expect(report.users.disabled.length).toBeGreaterThan(0);
    for (const id of report.users.disabled) {
      const change = reported.updated.find((u) => u.key === `microsoft_defender_user:${id}`)!;
      expect(change.changes).toEqual([
        { property: 'active', before: true, after: false },
        { property: 'isActive', before: true, after: false },
      ]);
    }
  });

  it('commits partial data and deletes nothing of the types a revoked permission hides', async () => {
    const live = async () =>
      (
        await store.read<{ type: string; n: number }>(
          'SELECT type, COUNT(*) AS n FROM entities WHERE deleted = FALSE GROUP BY type UNION ALL SELECT type, COUNT(*) AS n FROM relationships WHERE deleted = FALSE GROUP BY type',
          [],
        )
      ).reduce<Record<string, number>>((m, r) => ({ ...m, [r.type]: Number(r.n) }), {});
    const counts = await live();
    const report = await emulator.advance();
    expect(report.vulnerabilities.remediated.length).toBeGreaterThan(0);
    await emulator.setFaults({ revokePermissions: ['Vulnerability.Read.All'] });
    try {
      const partial = await sync();
      expect(partial.code, partial.stderr).toBe(3);
      const record = JSON.parse(partial.stdout);
      expect(record.status).toBe('partial');
      const failed = record.stepResults.find(
        (s: { id: string }) => s.id === 'fetch-vulnerabilities',
      );
      expect(failed.status).toBe('failure');
      expect(failed.error.permission).toBe('Vulnerability.Read.All');
      const deletedTypes = Object.entries(record.typeCounts as Record<string, { deleted: number }>)
        .filter(([, c]) => c.deleted > 0)
        .map(([t]) => t);
      expect(deletedTypes.filter((t) => VULNERABILITY_TYPES.includes(t))).toEqual([]);
      const afterCounts = await live();
      for (const type of VULNERABILITY_TYPES) expect(afterCounts[type], type).toBe(counts[type]);
      expect(record.heldBack.map((h: { type: string }) => h.type)).toContain(
        'microsoft_defender_machine_identified_vulnerability',
      );
      // Other types still follow the tenant.
      expect(record.typeCounts['microsoft_defender_user']).toEqual(userCounts(report));
    } finally {
      await emulator.clearFaults();
    }
    const healed = await sync();
    expect(healed.code, healed.stderr).toBe(0);
    const changes = JSON.parse((await cli(['changes', '--json'])).stdout) as ChangesJson;
    const remediated = changes.deleted.filter(
      (d) => d.type === 'microsoft_defender_machine_identified_vulnerability',
    );
    expect(remediated.length).toBeGreaterThanOrEqual(report.vulnerabilities.remediated.length);
  });

  it('leaves the previous graph whole when a sync is killed mid-collection, and marks it failed at the next start', async () => {
    const before = await graphState();
    await emulator.setFaults({ latencyMs: 400, paths: ['/defender/api/machines/'] });
    const running = startCli(['sync', '--config', config, '--db', db.url]);
    try {
      await waitForStderr(running.child, 'fetch-logon-users');
    } finally {
      running.child.kill('SIGKILL');
      await running.done;
      await emulator.clearFaults();
    }
    const [killed] = await store.read<{ id: number; status: string }>(
      'SELECT id, status FROM syncs ORDER BY id DESC LIMIT 1',
      [],
    );
    expect(killed!.status).toBe('running');
    expect(await graphState()).toEqual(before);

    const next = await sync();
    expect(next.code, next.stderr).toBe(0);
    expect(await syncStatus(Number(killed!.id))).toEqual({
      status: 'failed',
      error: 'interrupted: the sync process ended before it committed; the previous graph was kept',
    });
  });

  it('leaves the previous graph whole when a sync is killed mid-commit; readers and a second sync see it meanwhile', async () => {
    const report = await emulator.advance();
    const before = await graphState();
    const running = startCli(['sync', '--config', config, '--db', db.url], {
      DEFENDER_GRAPH_TEST_PAUSE_IN_COMMIT: '1',
    });
    try {
      await waitForStderr(running.child, 'paused inside the commit transaction');
      expect(await graphState()).toEqual(before);
      const concurrent = await sync();
      expect(concurrent.code).toBe(1);
      expect(concurrent.stderr).toMatch(
        /instance "Emulated tenant" is already being synced by sync #\d+ \(pid \d+/,
      );
    } finally {
      running.child.kill('SIGKILL');
      await running.done;
    }
    expect(await graphState()).toEqual(before);
    const [killed] = await store.read<{ id: number }>(
      "SELECT id FROM syncs WHERE status = 'running' ORDER BY id DESC LIMIT 1",
      [],
    );
    const next = await sync();
    expect(next.code, next.stderr).toBe(0);
    expect((await syncStatus(Number(killed!.id))).status).toBe('failed');
    expect(JSON.parse(next.stdout).typeCounts['microsoft_defender_user']).toEqual(
      userCounts(report),
    );
  });
});
