import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import type { Entity, MappedRelationship } from '../../src/graph/types.js';
import { BACKENDS } from './backends.js';
import {
  machine,
  MACHINE,
  MACHINE_VULN,
  machineVuln,
  run,
  step,
  user,
  USER,
  VULN,
  VULN_IS_CVE,
  vulnerability,
} from './fixtures.js';

interface Row {
  key: string;
  version: number;
  deleted: number | boolean;
  properties: unknown;
  begin_on: number;
  created_on: number;
  end_on: number | null;
  source: string;
}

describe.each(BACKENDS)('GraphStore on $name', (backend) => {
  let store: GraphStore;
  let drop: () => Promise<void>;
  let n = 0;
  /** Each test uses its own instance, so tests stay independent within one database. */
  const instance = () => `instance-${++n}`;

  beforeAll(async () => {
    const db = await backend.create('store');
    drop = db.drop;
    store = await openGraphStore(db.url);
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  const p = (i: number) => (store.dialect === 'sqlite' ? '?' : `$${i}`);

  async function current(name: string, table = 'entities'): Promise<Map<string, Row>> {
    const found = await store.findInstance(name);
    const rows = await store.read<Row>(
      `SELECT key, version, deleted, properties, begin_on, created_on, end_on, source FROM ${table} WHERE instance_id = ${p(1)}`,
      [found!.id],
    );
    return new Map(rows.map((r) => [r.key, r]));
  }

  async function sync(
    name: string,
    entities: Entity[],
    steps = [step('users', [USER])],
    share?: number,
  ) {
    const session = await store.beginSync(
      name,
      share === undefined ? {} : { maxDeleteShare: share },
    );
    await session.addEntities('users', entities);
    return session.commit(run(steps));
  }

  it('diffs staging as it is written and commits only the rows that changed', async () => {
    const name = instance();
    const [a, b, c, e] = ['a', 'b', 'c', 'e'].map((id) => `${USER}:diff-${id}`) as [
      string,
      string,
      string,
      string,
    ];
    await sync(name, [user('diff-a'), user('diff-b'), user('diff-c')]);
    const { id } = (await store.findInstance(name))!;
    const versions = async () =>
      (
        await store.read<{ key: string; n: number | string }>(
          `SELECT key, COUNT(*) AS n FROM entity_versions WHERE instance_id = ${p(1)} GROUP BY key ORDER BY key`,
          [id],
        )
      ).map((r) => [r.key, Number(r.n)]);
    const before = await current(name);

    const session = await store.beginSync(name);
    await session.addEntities('users', [
      user('diff-a'),
      user('diff-b', { active: false }),
      user('diff-e'),
    ]);
    const staged = await store.read<{ key: string; change: string | null; seen_type: unknown }>(
      `SELECT key, change, seen_type FROM staged_entities WHERE sync_id = ${p(1)} ORDER BY key`,
      [session.syncId],
    );
    expect(staged).toEqual([
      { key: a, change: null, seen_type: USER },
      { key: b, change: 'updated', seen_type: USER },
      { key: e, change: 'created', seen_type: null },
    ]);
    const second = await session.commit(run([step('users', [USER])]));
    expect(second.typeCounts[USER]).toEqual({ created: 1, updated: 1, deleted: 1 });
    const after = await current(name);
    // Unchanged: not rewritten (same version, same begin); changed and deleted: one version each.
    expect(after.get(a)).toEqual(before.get(a));
    expect(after.get(b)!.version).toBe(2);
    expect(after.get(c)!.version).toBe(2);
    expect(after.get(e)!.version).toBe(1);
    expect(await versions()).toEqual([
      [b, 1],
      [c, 1],
    ]);

    // The same input again writes nothing at all.
    const third = await sync(name, [
      user('diff-a'),
      user('diff-b', { active: false }),
      user('diff-e'),
    ]);
    expect(third.typeCounts).toEqual({});
    expect(await versions()).toEqual([
      [b, 1],
      [c, 1],
    ]);
    const written = await store.read<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM entities WHERE sync_id = ${p(1)}`,
      [third.id],
    );
    expect(Number(written[0]!.n)).toBe(0);
    const leftover = await store.read<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM commit_changes`,
      [],
    );
    expect(Number(leftover[0]!.n)).toBe(0);
  });

  it('creates, updates, leaves unchanged and deletes, keeping every version', async () => {
    const name = instance();
    const first = await sync(name, [user('a'), user('b'), user('c'), user('d')]);
    expect(first.status).toBe('success');
    expect(first.typeCounts[USER]).toEqual({ created: 4, updated: 0, deleted: 0 });
    const before = await current(name);

    // b changes, c's raw data changes only (new random noise), d disappears.
    const second = await sync(name, [user('a'), user('b', { active: false }), user('c')]);
    expect(second.typeCounts[USER]).toEqual({ created: 0, updated: 1, deleted: 1 });
    const after = await current(name);
    expect(after.get(`${USER}:a`)).toEqual(before.get(`${USER}:a`));
    expect(after.get(`${USER}:c`)).toEqual(before.get(`${USER}:c`));
    expect(after.get(`${USER}:b`)!.version).toBe(2);
    expect(after.get(`${USER}:b`)!.begin_on).toBeGreaterThanOrEqual(
      before.get(`${USER}:b`)!.begin_on,
    );
    expect(after.get(`${USER}:b`)!.created_on).toBe(before.get(`${USER}:b`)!.created_on);
    expect(Boolean(after.get(`${USER}:d`)!.deleted)).toBe(true);
    expect(after.get(`${USER}:d`)!.end_on).not.toBeNull();

    const history = await store.history(`${USER}:b`);
    expect(history.map((v) => [v.object._version, v.object.active, v.syncId])).toEqual([
      [1, true, first.id],
      [2, false, second.id],
    ]);
    expect(history[0]!.object._endOn).toBeTypeOf('number');
    expect(history[1]!.object._endOn).toBeUndefined();

    const changes = await store.changes([second.id]);
    expect(changes.created).toEqual([]);
    expect(changes.updated.map((u) => [u.key, u.changes])).toEqual([
      [`${USER}:b`, [{ property: 'active', before: true, after: false }]],
    ]);
    expect(changes.deleted.map((d) => d.key)).toEqual([`${USER}:d`]);

    // d comes back: a new version, reported as created; its _id is kept.
    const third = await sync(name, [user('a'), user('b', { active: false }), user('c'), user('d')]);
    expect(third.typeCounts[USER]).toEqual({ created: 1, updated: 0, deleted: 0 });
    expect((await store.changes([third.id])).created.map((c) => c.key)).toEqual([`${USER}:d`]);
    const dHistory = await store.history(`${USER}:d`);
    expect(dHistory.map((v) => [v.object._version, v.object._deleted])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    expect(new Set(dHistory.map((v) => v.object._id)).size).toBe(1);
  });

  it('keeps raw data apart, compressed, and returns it unchanged', async () => {
    const name = instance();
    const raw = { id: 'r1', nested: { list: [1, 2, 3], text: 'é✓' } };
    const entity = { ...user('r1'), _rawData: [{ name: 'default', rawData: raw }] };
    await sync(name, [entity]);
    const objects: Record<string, unknown>[] = [];
    const found = await store.findInstance(name);
    await store.iterate({ kind: 'entity', instanceId: found!.id, includeRawData: true }, (o) => {
      objects.push(o);
    });
    expect(objects).toHaveLength(1);
    expect(objects[0]!._rawData).toEqual([{ name: 'default', rawData: raw }]);
    const [row] = await current(name).then((m) => [...m.values()]);
    expect(JSON.stringify(row!.properties)).not.toContain('nested');
  });

  it('lets later steps read this run from staging, while readers see only the committed graph', async () => {
    const name = instance();
    await sync(name, [user('old')]);
    const session = await store.beginSync(name);
    await session.addEntities('users', [user('new1'), user('new2')]);
    const seen: string[] = [];
    await session.iterateEntities({ _type: USER }, (e) => {
      seen.push(e._key);
    });
    expect(seen).toEqual([`${USER}:new1`, `${USER}:new2`]);
    expect((await session.findEntity(`${USER}:new1`))?.displayName).toBe('User new1');
    expect([...(await current(name)).keys()]).toEqual([`${USER}:old`]);
    await expect(session.addEntities('users', [user('new1')])).rejects.toThrow(
      `duplicate _key "${USER}:new1" in step "users"`,
    );
    await session.commit(run([step('users', [USER])]));
    expect([...(await current(name)).keys()].sort()).toEqual([
      `${USER}:new1`,
      `${USER}:new2`,
      `${USER}:old`,
    ]);
  });

  it('deletes nothing of a failed step, its dependants, or a disabled source, and says why', async () => {
    const name = instance();
    const steps = [
      step('users', [USER]),
      step('machines', [MACHINE]),
      step('vulns', [VULN, MACHINE_VULN]),
    ];
    const s1 = await store.beginSync(name);
    await s1.addEntities('users', [user('a'), user('b')]);
    await s1.addEntities('machines', [machine('m1'), machine('m2')]);
    await s1.addEntities('vulns', [vulnerability('CVE-2024-0001')]);
    await s1.addRelationships('vulns', [machineVuln('m1', 'CVE-2024-0001')]);
    await s1.commit(run(steps));

    const s2 = await store.beginSync(name);
    await s2.addEntities('users', [user('a')]);
    const record = await s2.commit(
      run([
        step('account', ['microsoft_defender_account']),
        step('users', [USER], 'failure', {
          reason: 'FORBIDDEN: User.Read.All missing',
          error: { code: 'FORBIDDEN', message: 'forbidden', permission: 'User.Read.All' },
        }),
        step('machines', [MACHINE], 'disabled', { reason: 'source "machines" disabled' }),
        step('vulns', [VULN, MACHINE_VULN], 'partial_success_due_to_dependency_failure', {
          reason: 'depends on failed step "machines"',
        }),
      ]),
    );
    expect(record.status).toBe('partial');
    const rows = await current(name);
    expect([...rows.values()].filter((r) => Boolean(r.deleted))).toEqual([]);
    expect((await current(name, 'relationships')).size).toBe(1);
    expect(record.heldBack.map((h) => [h.kind, h.type, h.count])).toEqual([
      ['entity', MACHINE, 2],
      ['entity', USER, 1],
      ['entity', VULN, 1],
      ['relationship', MACHINE_VULN, 1],
    ]);
    expect(record.heldBack.find((h) => h.type === USER)!.reason).toContain(
      'FORBIDDEN: User.Read.All missing',
    );
    expect(record.heldBack.find((h) => h.type === MACHINE)!.reason).toContain('disabled');
    expect(record.partialTypes.map((t) => t.type).sort()).toEqual(
      [MACHINE, MACHINE_VULN, USER, VULN].sort(),
    );
  });

  it("holds back a drop beyond the maximum delete share, with the step's relationships", async () => {
    const name = instance();
    const steps = [step('vulns', [VULN, MACHINE_VULN]), step('machines', [MACHINE])];
    const s1 = await store.beginSync(name);
    await s1.addEntities('machines', [machine('m1')]);
    await s1.addEntities(
      'vulns',
      ['1', '2', '3', '4'].map((i) => vulnerability(`CVE-2024-000${i}`)),
    );
    await s1.addRelationships(
      'vulns',
      ['1', '2', '3', '4'].map((i) => machineVuln('m1', `CVE-2024-000${i}`)),
    );
    await s1.commit(run(steps));

    const s2 = await store.beginSync(name);
    await s2.addEntities('machines', [machine('m1')]);
    await s2.addEntities('vulns', [vulnerability('CVE-2024-0001')]);
    await s2.addRelationships(
      'vulns',
      ['1', '2', '3'].map((i) => machineVuln('m1', `CVE-2024-000${i}`)),
    );
    const held = await s2.commit(run(steps));
    expect(held.status).toBe('success');
    expect(held.heldBack.map((h) => [h.kind, h.type, h.count])).toEqual([
      ['entity', VULN, 3],
      ['relationship', MACHINE_VULN, 1],
    ]);
    expect(held.heldBack[0]!.reason).toBe(
      'would delete 3 of 4 (75%), more than the maximum delete share 0.5',
    );
    expect(held.typeCounts).toEqual({});

    // With a higher share allowed the same drop goes through.
    const s3 = await store.beginSync(name, { maxDeleteShare: 0.8 });
    await s3.addEntities('machines', [machine('m1')]);
    await s3.addEntities('vulns', [vulnerability('CVE-2024-0001')]);
    await s3.addRelationships('vulns', [machineVuln('m1', 'CVE-2024-0001')]);
    const applied = await s3.commit(run(steps));
    expect(applied.heldBack).toEqual([]);
    expect(applied.typeCounts).toEqual({
      [VULN]: { created: 0, updated: 0, deleted: 3 },
      [MACHINE_VULN]: { created: 0, updated: 0, deleted: 3 },
    });
  });

  it('deletes a drop of exactly the default maximum share (0.5), and holds back one just over it', async () => {
    const name = instance();
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    await sync(
      name,
      ids.map((id) => user(id)),
    );
    // 3 of 6 unseen: exactly 0.5, deleted.
    const atLimit = await sync(
      name,
      ['a', 'b', 'c'].map((id) => user(id)),
    );
    expect(atLimit.heldBack).toEqual([]);
    expect(atLimit.typeCounts[USER]).toEqual({ created: 0, updated: 0, deleted: 3 });
    // 2 of 3 unseen: over 0.5, kept.
    const over = await sync(name, [user('a')]);
    expect(over.typeCounts).toEqual({});
    expect(over.heldBack).toEqual([
      {
        kind: 'entity',
        type: USER,
        count: 2,
        reason: 'would delete 2 of 3 (67%), more than the maximum delete share 0.5',
      },
    ]);
    const rows = await current(name);
    expect(
      [...rows.values()]
        .filter((r) => !r.deleted)
        .map((r) => r.key)
        .sort(),
    ).toEqual(['a', 'b', 'c'].map((id) => `${USER}:${id}`));
  });

  it('resolves mapped relationships: existing target, placeholder, or skipped', async () => {
    const name = instance();
    const cve = (id: string, skip?: boolean): MappedRelationship => ({
      _key: `${VULN}:${id}|is|${id.toLowerCase()}`,
      _type: VULN_IS_CVE,
      _class: 'IS',
      _mapping: {
        relationshipDirection: 'FORWARD',
        sourceEntityKey: `${VULN}:${id}`,
        targetFilterKeys: [['_type', '_key']],
        targetEntity: { _type: 'cve', _key: id.toLowerCase(), _class: ['Vulnerability'], name: id },
        ...(skip ? { skipTargetCreation: true } : {}),
      },
    });
    const steps = [step('vulns', [VULN, VULN_IS_CVE])];
    const s1 = await store.beginSync(name);
    await s1.addEntities('vulns', [vulnerability('CVE-2024-0001'), vulnerability('CVE-2024-0002')]);
    await s1.addRelationships('vulns', [
      cve('CVE-2024-0001'),
      cve('CVE-2024-0002'),
      cve('CVE-2024-0003', true),
    ]);
    const first = await s1.commit(run(steps));
    expect(first.typeCounts.cve).toEqual({ created: 2, updated: 0, deleted: 0 });
    const entities = await current(name);
    expect(entities.get('cve-2024-0001')!.source).toBe('system-mapper');
    expect(entities.has('cve-2024-0003')).toBe(false);
    const rels = await store.read<{ key: string; from_key: string; to_key: string }>(
      `SELECT key, from_key, to_key FROM relationships WHERE type = ${p(1)} AND instance_id = ${p(2)} ORDER BY key`,
      [VULN_IS_CVE, (await store.findInstance(name))!.id],
    );
    expect(rels.map((r) => [r.from_key, r.to_key])).toEqual([
      [`${VULN}:CVE-2024-0001`, 'cve-2024-0001'],
      [`${VULN}:CVE-2024-0002`, 'cve-2024-0002'],
    ]);
    const classes = await store.read<{ class: string }>(
      `SELECT class FROM entity_classes WHERE key = ${p(1)}`,
      ['cve-2024-0001'],
    );
    expect(classes.map((c) => c.class)).toEqual(['Vulnerability']);

    // Second run: 0001 maps onto the existing placeholder; 0002's mapping is gone, so is its target.
    const s2 = await store.beginSync(name, { maxDeleteShare: 1 });
    await s2.addEntities('vulns', [vulnerability('CVE-2024-0001')]);
    await s2.addRelationships('vulns', [cve('CVE-2024-0001')]);
    const second = await s2.commit(run(steps));
    expect(second.typeCounts.cve).toEqual({ created: 0, updated: 0, deleted: 1 });
    const after = await current(name);
    expect(Boolean(after.get('cve-2024-0001')!.deleted)).toBe(false);
    expect(after.get('cve-2024-0001')!.version).toBe(1);
    expect(Boolean(after.get('cve-2024-0002')!.deleted)).toBe(true);
  });

  it('records a failed sync and leaves the committed graph as it was', async () => {
    const name = instance();
    await sync(name, [user('a')]);
    const session = await store.beginSync(name);
    await session.addEntities('users', [user('b')]);
    const failed = await session.fail(new Error('collector crashed'));
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('collector crashed');
    expect([...(await current(name)).keys()]).toEqual([`${USER}:a`]);
    const staged = await store.read<{ n: number }>(
      `SELECT COUNT(*) AS n FROM staged_entities WHERE sync_id = ${p(1)}`,
      [failed.id],
    );
    expect(Number(staged[0]!.n)).toBe(0);
  });

  // The heartbeat lock row is SQLite's mechanism; PostgreSQL's advisory lock is tested above.
  it.runIf(backend.name === 'sqlite')(
    "SQLite: a lock held on another host counts while its heartbeat is fresh; a dead holder's sync is marked failed",
    async () => {
      const name = instance();
      await sync(name, [user('a')]);
      const id = (await store.findInstance(name))!.id;
      const { SqliteConnection } = await import('../../src/store/sql/sqlite.js');
      const raw = new SqliteConnection(store.url.slice('sqlite:'.length));
      try {
        const [row] = await raw.all<{ id: number }>(
          `INSERT INTO syncs (instance_id, status, started_on, holder, heartbeat_on, max_delete_share)
           VALUES (?, 'running', ?, '{"pid":1,"host":"other-host"}', ?, 0.5) RETURNING id`,
          [id, Date.now(), Date.now()],
        );
        const lockRow = (heartbeat: number) =>
          raw.run(
            `INSERT INTO instance_locks (instance_id, sync_id, holder, heartbeat_on) VALUES (?, ?, '{"pid":1,"host":"other-host"}', ?)
             ON CONFLICT (instance_id) DO UPDATE SET heartbeat_on = excluded.heartbeat_on`,
            [id, row!.id, heartbeat],
          );
        await lockRow(Date.now());
        await expect(store.beginSync(name)).rejects.toThrow(
          `instance "${name}" is already being synced by sync #${row!.id} (pid 1 on other-host`,
        );
        await lockRow(Date.now() - 60_000);
        const session = await store.beginSync(name);
        const [stale] = await store.read<{ status: string; error: string }>(
          'SELECT status, error FROM syncs WHERE id = ?',
          [row!.id],
        );
        expect(stale).toEqual({
          status: 'failed',
          error:
            'interrupted: the sync process ended before it committed; the previous graph was kept',
        });
        await session.commit(run([step('users', [USER])]));
      } finally {
        await raw.close();
      }
    },
  );

  it('never runs two syncs of one instance at once', async () => {
    const name = instance();
    const other = await openGraphStore(backend.name === 'sqlite' ? store.url : store.url);
    try {
      const session = await store.beginSync(name);
      await expect(other.beginSync(name)).rejects.toThrow(
        new RegExp(
          `instance "${name}" is already being synced by sync #${session.syncId} \\(pid ${process.pid}`,
        ),
      );
      await expect(store.beginSync(name)).rejects.toThrow('already being synced');
      await session.commit(run([step('users', [USER])]));
      const next = await other.beginSync(name);
      await next.commit(run([step('users', [USER])]));
    } finally {
      await other.close();
    }
  });
});
