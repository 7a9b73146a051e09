import { afterEach, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { SqliteConnection } from '../../src/store/sql/sqlite.js';
import { PostgresConnection } from '../../src/store/sql/postgres.js';
import { graphSchema } from '../../src/store/migrations/001-graph.js';
import { columnTypes } from '../../src/store/migrations/column-types.js';
import { BACKENDS } from './backends.js';
import {
  MACHINE,
  MACHINE_VULN,
  machine,
  machineVuln,
  run,
  step,
  VULN,
  vulnerability,
} from './fixtures.js';

describe.each(BACKENDS)('query planner support on $name', (backend) => {
  let drop: (() => Promise<void>) | undefined;
  let store: GraphStore | undefined;
  afterEach(async () => {
    await store?.close();
    await drop?.();
  });

  async function open(label: string): Promise<GraphStore> {
    const db = await backend.create(label);
    drop = db.drop;
    store = await openGraphStore(db.url);
    return store;
  }

  const indexes = (s: GraphStore) =>
    s.read<{ name: string }>(
      s.dialect === 'sqlite'
        ? "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'relationships' ORDER BY name"
        : "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'relationships' ORDER BY indexname",
      [],
    );

  it('walks relationships through covering indexes at each end', async () => {
    const s = await open('walk-indexes');
    const names = (await indexes(s)).map((i) => i.name);
    expect(names).toEqual(
      expect.arrayContaining(['relationships_from_walk', 'relationships_to_walk']),
    );
    expect(names).not.toContain('relationships_from');
    expect(names).not.toContain('relationships_to');
  });

  it('upgrades a schema-1 database in place, keeping its relationships', async () => {
    const s = await open('upgrade');
    const session = await s.beginSync('contoso');
    await session.addEntities('machines', [machine('m1'), vulnerability('CVE-1')]);
    await session.addRelationships('machines', [machineVuln('m1', 'CVE-1')]);
    await session.commit(run([step('machines', [MACHINE, VULN, MACHINE_VULN])]));
    const url = s.url;
    await s.close();
    store = undefined;
    const raw =
      backend.name === 'sqlite'
        ? new SqliteConnection(url.slice('sqlite:'.length))
        : await PostgresConnection.connect(url);
    await raw.exec(
      `DROP INDEX relationships_from_walk; DROP INDEX relationships_to_walk;
       CREATE INDEX relationships_from ON relationships (instance_id, from_key);
       CREATE INDEX relationships_to ON relationships (instance_id, to_key);
       DELETE FROM schema_migrations WHERE version > 1`,
    );
    // What migration 7 added to schema-1 tables goes too.
    await raw.exec(
      `DROP INDEX staged_entities_changed; DROP INDEX staged_relationships_changed;
       DROP INDEX staged_relationships_unresolved; DROP INDEX entities_live; DROP INDEX relationships_live;
       ALTER TABLE staged_entities DROP COLUMN change; ALTER TABLE staged_entities DROP COLUMN seen_type;
       ALTER TABLE staged_relationships DROP COLUMN change; ALTER TABLE staged_relationships DROP COLUMN seen_type`,
    );
    // Every table a later migration created goes, virtual tables first (they own shadow tables).
    const schema1 = new Set([
      'schema_migrations',
      ...graphSchema(columnTypes(backend.name)).flatMap((sql) =>
        [...sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((m) => m[1]!),
      ),
    ]);
    const laterTables = async () =>
      (
        await raw.all<{ name: string }>(
          backend.name === 'sqlite'
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY sql LIKE 'CREATE VIRTUAL%' DESC"
            : "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
        )
      )
        .map((t) => t.name)
        .filter((name) => !schema1.has(name));
    for (let later = await laterTables(); later.length > 0; later = await laterTables())
      await raw.exec(`DROP TABLE ${later[0]}${backend.name === 'postgres' ? ' CASCADE' : ''}`);
    await raw.close();
    store = await openGraphStore(url);
    // The full-text index (migration 3) is filled from the entities already stored.
    const [indexed] = await store.read<{ n: number }>(
      'SELECT COUNT(*) AS n FROM entity_search',
      [],
    );
    expect(Number(indexed!.n)).toBe(2);
    const names = (await indexes(store)).map((i) => i.name);
    expect(names).toEqual(
      expect.arrayContaining(['relationships_from_walk', 'relationships_to_walk']),
    );
    expect(names).not.toContain('relationships_from');
    const [row] = await store.read<{ n: number }>('SELECT COUNT(*) AS n FROM relationships', []);
    expect(Number(row!.n)).toBe(1);
  });

  it('has planner statistics for the queried tables after a commit', async () => {
    const s = await open('statistics');
    const session = await s.beginSync('contoso');
    await session.addEntities('machines', [machine('m1'), machine('m2'), vulnerability('CVE-1')]);
    await session.addRelationships('machines', [
      machineVuln('m1', 'CVE-1'),
      machineVuln('m2', 'CVE-1'),
    ]);
    const phases: string[] = [];
    const record = await session.commit(run([step('machines', [MACHINE, VULN, MACHINE_VULN])]), {
      onPhase: (phase) => phases.push(phase),
    });
    expect(record.status).toBe('success');
    expect(phases.at(-1)).toBe('refreshing query statistics');
    const analysed = await s.read<{ name: string }>(
      s.dialect === 'sqlite'
        ? 'SELECT DISTINCT tbl AS name FROM sqlite_stat1 ORDER BY tbl'
        : "SELECT DISTINCT tablename AS name FROM pg_stats WHERE schemaname = 'public' ORDER BY tablename",
      [],
    );
    expect(analysed.map((t) => t.name)).toEqual(
      expect.arrayContaining(['entities', 'entity_classes', 'relationships']),
    );
  });
});
