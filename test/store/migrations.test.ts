import { afterEach, describe, expect, it } from 'vitest';
import { openGraphStore, SCHEMA_VERSION } from '../../src/store/index.js';
import { BACKENDS } from './backends.js';

describe.each(BACKENDS)('migrations on $name', (backend) => {
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await drop?.();
  });

  it('creates the contract schema once and is idempotent on reopen', async () => {
    const db = await backend.create('migrations');
    drop = db.drop;
    const first = await openGraphStore(db.url);
    await first.close();
    const store = await openGraphStore(db.url);
    const versions = await store.read<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
      [],
    );
    expect(versions.map((v) => Number(v.version))).toEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    const columns = await store.read<{ name: string }>(
      store.dialect === 'sqlite'
        ? "SELECT name FROM pragma_table_info('entities') ORDER BY cid"
        : "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'entities' ORDER BY ordinal_position",
      [],
    );
    expect(columns.map((c) => c.name)).toEqual([
      'instance_id',
      'key',
      'id',
      'type',
      'classes',
      'properties',
      'raw',
      'hash',
      'version',
      'created_on',
      'begin_on',
      'end_on',
      'deleted',
      'source',
      'sync_id',
    ]);
    await store.close();
  });

  it('refuses a database whose schema is newer than the program, naming both versions', async () => {
    const db = await backend.create('newer');
    drop = db.drop;
    const store = await openGraphStore(db.url);
    await store.close();
    const { SqliteConnection } = await import('../../src/store/sql/sqlite.js');
    const { PostgresConnection } = await import('../../src/store/sql/postgres.js');
    const raw =
      backend.name === 'sqlite'
        ? new SqliteConnection(db.url.slice('sqlite:'.length))
        : await PostgresConnection.connect(db.url);
    await raw.run('INSERT INTO schema_migrations (version, applied_on) VALUES (?, ?)', [
      SCHEMA_VERSION + 1,
      0,
    ]);
    await raw.close();
    await expect(openGraphStore(db.url)).rejects.toThrow(
      `database schema version ${SCHEMA_VERSION + 1} is newer than this program's schema version ${SCHEMA_VERSION}`,
    );
  });
});
