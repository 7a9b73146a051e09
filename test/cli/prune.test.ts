import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { BACKENDS } from '../store/backends.js';
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
  vulnerability,
} from '../store/fixtures.js';
import { runCli } from '../sync/cli.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

// Each case runs the built CLI several times: minutes on a loaded machine, not seconds.
vi.setConfig({ testTimeout: 240_000 });

const DAY = 86_400_000;
const STEPS = [
  step('users', [USER]),
  step('machines', [MACHINE]),
  step('vulns', [VULN, MACHINE_VULN]),
];

/** Moves every recorded time back, as if the syncs so far ran `ms` earlier. */
async function age(store: GraphStore, ms: number): Promise<void> {
  const db = await store.state();
  for (const table of ['entities', 'entity_versions', 'relationships', 'relationship_versions'])
    await db.run(
      `UPDATE ${table} SET created_on = created_on - ?, begin_on = begin_on - ?, end_on = end_on - ?`,
      [ms, ms, ms],
    );
  await db.run('UPDATE syncs SET started_on = started_on - ?, ended_on = ended_on - ?', [ms, ms]);
}

describe.each(BACKENDS)('prune on $name (built CLI)', (backend) => {
  let db: { url: string; drop: () => Promise<void> };
  let dir: string;
  const cli = (...args: string[]) => runCli([...args, '--db', db.url]);

  beforeAll(async () => {
    db = await backend.create('prune');
    dir = mkdtempSync(join(tmpdir(), 'dg-prune-'));
    const store = await openGraphStore(db.url);
    const commit = async (
      fill: (s: Awaited<ReturnType<GraphStore['beginSync']>>) => Promise<void>,
    ) => {
      const session = await store.beginSync('acme', { maxDeleteShare: 1 });
      await fill(session);
      await session.commit(run(STEPS));
    };
    // 100 days ago: a, b, c, m1 and a finding on m1; then c and the finding go, b and m1 change.
    await commit(async (s) => {
      await s.addEntities('users', [user('a'), user('b'), user('c')]);
      await s.addEntities('machines', [machine('m1', { riskScore: 'Low' })]);
      await s.addEntities('vulns', [vulnerability('CVE-2024-0001')]);
      await s.addRelationships('vulns', [machineVuln('m1', 'CVE-2024-0001')]);
    });
    await commit(async (s) => {
      await s.addEntities('users', [user('a'), user('b', { active: false })]);
      await s.addEntities('machines', [machine('m1', { riskScore: 'High' })]);
    });
    await age(store, 100 * DAY);
    // Today: b changes again, d is new.
    await commit(async (s) => {
      await s.addEntities('users', [user('a'), user('b', { active: true }), user('d')]);
      await s.addEntities('machines', [machine('m1', { riskScore: 'High' })]);
    });
    await store.close();
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const expected = {
    instance: 'acme',
    // c and the finding (deleted 100 days ago); b's and m1's first versions, c's and the finding's.
    entities: { deleted: 2, versions: 4 },
    relationships: { deleted: 1, versions: 1 },
  };

  it('--dry-run counts and removes nothing; without --keep or retention.keep it is a usage error', async () => {
    const dry = await cli('prune', '--keep', '90d', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    const report = JSON.parse(dry.stdout);
    expect(report).toMatchObject({ keep: '90d', dryRun: true, instances: [expected] });
    expect(report.total).toEqual({
      entities: expected.entities,
      relationships: expected.relationships,
    });
    expect((await cli('history', `${USER}:c`)).code).toBe(0);

    const missing = await runCli(['prune', '--db', db.url], { DEFENDER_GRAPH_DB: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--keep is required (or retention.keep in the config file)');
    const bad = await cli('prune', '--keep', '90 days');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--keep must be a duration such as 30m, 24h or 7d, got '90 days'");
  });

  it('prune with retention.keep from the config: old versions and long-deleted objects go, current objects and sync records stay', async () => {
    const config = join(dir, 'defender-graph.yaml');
    writeFileSync(
      config,
      'retention:\n  keep: 90d\ninstances:\n  - name: acme\n    tenantId: t\n    clientId: c\n    clientSecret: s\n',
      { mode: 0o600 },
    );
    const pruned = await cli('prune', '--config', config);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(
      /^removed history from before \d{4}-\d\d-\d\dT[\d:.]+Z \(keep 90d\):\n/,
    );
    expect(pruned.stdout).toMatch(/│ acme\s+│ 2\s+│ 1\s+│ 4\s+│ 1\s+│/);

    const store = await openGraphStore(db.url);
    try {
      const keys = await store.read<{ key: string; deleted: unknown }>(
        'SELECT key, deleted FROM entities ORDER BY key',
        [],
      );
      expect(keys.map((k) => k.key)).toEqual([
        `${MACHINE}:m1`,
        `${USER}:a`,
        `${USER}:b`,
        `${USER}:d`,
      ]);
      expect(await store.read('SELECT key FROM relationships', [])).toEqual([]);
      // b keeps the version that ended today; m1 and a keep their current version only.
      const versions = (key: string) =>
        store.history(key).then((h) => h.map((v) => v.object._version));
      expect(await versions(`${USER}:b`)).toEqual([2, 3]);
      expect(await versions(`${MACHINE}:m1`)).toEqual([2]);
      expect(await versions(`${USER}:a`)).toEqual([1]);
      expect(await versions(`${USER}:c`)).toEqual([]);
      expect((await store.listSyncs()).length).toBe(3);
      const classes = await store.read<{ key: string }>(
        'SELECT key FROM entity_classes ORDER BY key',
        [],
      );
      expect(classes.map((c) => c.key)).toEqual(keys.map((k) => k.key));
    } finally {
      await store.close();
    }

    const again = JSON.parse((await cli('prune', '--keep', '90d', '--json')).stdout);
    expect(again.instances).toEqual([
      {
        instance: 'acme',
        entities: { deleted: 0, versions: 0 },
        relationships: { deleted: 0, versions: 0 },
      },
    ]);
  });

  it('a window that covers everything touches no current object', async () => {
    const before = await cli('query', 'FIND *', '--format', 'json');
    const all = await cli('prune', '--keep', '0s', '--json');
    expect(all.code, all.stderr).toBe(0);
    // b's version 2 ended today: inside no window but 0 s.
    expect(JSON.parse(all.stdout).total.entities).toEqual({ deleted: 0, versions: 1 });
    expect((await cli('query', 'FIND *', '--format', 'json')).stdout).toBe(before.stdout);
  });
});
