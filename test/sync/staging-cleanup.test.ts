import { describe, expect, it } from 'vitest';
import type { SqlConnection } from '../../src/store/sql/connection.js';
import { PostgresConnection } from '../../src/store/sql/postgres.js';
import { SqliteConnection } from '../../src/store/sql/sqlite.js';
import { parseStoreUrl } from '../../src/store/url.js';
import { BACKENDS } from '../store/backends.js';
import { user, USER } from '../store/fixtures.js';
import { emulatorAndStore } from './emulator-store.js';
import { runCli } from './cli.js';
import { expectedFromTruth, liveKeys, storedFacts } from './graph-truth.js';

/** A writable session on the test database, to leave rows behind as a crashed process would. */
async function writer(url: string): Promise<SqlConnection> {
  const location = parseStoreUrl(url);
  return location.dialect === 'sqlite'
    ? new SqliteConnection(location.path)
    : PostgresConnection.connect(location.url);
}

/** Defect 5: staging left by a sync that is not running is removed when the next sync starts. */
describe.each(BACKENDS)('staging left behind on $name', (backend) => {
  const t = emulatorAndStore(backend, 'staging');

  const sync = () => runCli(['sync', '--config', t.config, '--db', t.db.url, '--json']);

  async function stagedSyncIds(): Promise<number[]> {
    const rows = await t.store.read<{ sync_id: number }>(
      `SELECT sync_id FROM staged_entities UNION SELECT sync_id FROM staged_relationships`,
      [],
    );
    return rows.map((r) => Number(r.sync_id)).sort((a, b) => a - b);
  }

  /** A failed sync whose staging drop failed (as on a full disk), of `instance`. */
  async function leaveFailedStaging(conn: SqlConnection, instance: string): Promise<number> {
    const instanceId = (await t.store.findInstance(instance))?.id ?? instance;
    const [row] = await conn.all<{ id: number }>(
      `INSERT INTO syncs (instance_id, status, started_on, ended_on, holder, heartbeat_on, max_delete_share, error)
       VALUES (?, 'failed', ?, ?, ?, ?, 0.5, 'database or disk is full') RETURNING id`,
      [instanceId, Date.now(), Date.now(), '{"pid":1,"host":"gone"}', Date.now()],
    );
    const id = Number(row!.id);
    await conn.run(
      `INSERT INTO staged_entities (sync_id, key, step_id, type, classes, properties, raw, hash, source)
       VALUES (?, 'left-behind', 'fetch-users', ?, '["User"]', '{}', NULL, 'h', 'integration-managed')`,
      [id, USER],
    );
    await conn.run(
      `INSERT INTO staged_relationships (sync_id, key, step_id, type, class, from_key, to_key, mapping, properties, raw, hash)
       VALUES (?, 'left|has|behind', 'fetch-users', 'x_has_y', 'HAS', 'left', 'behind', NULL, '{}', NULL, 'h')`,
      [id],
    );
    return id;
  }

  it('the next sync removes every ended sync’s staging, keeps a running one’s, and commits the truth', async () => {
    const first = await sync();
    expect(first.code, first.stderr).toBe(0);
    const instance = JSON.parse(first.stdout).instanceName as string;
    const before = await liveKeys(t.store);

    // Another instance is being synced right now: its staging must survive.
    const running = await t.store.beginSync('other-instance');
    await running.addEntities('fetch-users', [user('in-flight')]);

    const conn = await writer(t.db.url);
    const leftHere = await leaveFailedStaging(conn, instance);
    const leftThere = await leaveFailedStaging(conn, 'other-instance');
    await conn.close();
    expect(await stagedSyncIds()).toEqual(
      [leftHere, leftThere, running.syncId].sort((a, b) => a - b),
    );

    const next = await sync();
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'success', exitCode: 0 });
    expect(await stagedSyncIds()).toEqual([running.syncId]);
    expect(await liveKeys(t.store)).toEqual(before);
    expect(await storedFacts(t.store)).toEqual(expectedFromTruth(await t.emulator.truth()));

    const failed = await running.fail(new Error('test over'));
    expect(failed.status).toBe('failed');
    expect(await stagedSyncIds()).toEqual([]);
  }, 120_000);
});
