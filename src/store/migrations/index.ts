import type { SqlConnection } from '../sql/connection.js';
import { StoreError } from '../sql/connection.js';
import { columnTypes, type ColumnTypes } from './column-types.js';
import { graphSchema } from './001-graph.js';
import { relationshipWalkIndexes } from './002-relationship-walk-indexes.js';
import { entitySearchIndex } from './003-entity-search.js';
import { peopleRosters } from './004-people-rosters.js';
import { monitoringSchema } from './005-monitoring.js';
import { accountsSchema } from './006-accounts.js';
import { commitChanges } from './007-commit-changes.js';
import { syncStateSchema } from './008-sync-state.js';
import { sessionsSchema } from './009-sessions.js';

/** Ordered schema migrations; a migration's number is its position + 1. Never edit a shipped one. */
const MIGRATIONS: ((t: ColumnTypes) => string[])[] = [
  graphSchema,
  relationshipWalkIndexes,
  entitySearchIndex,
  peopleRosters,
  monitoringSchema,
  accountsSchema,
  commitChanges,
  syncStateSchema,
  sessionsSchema,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Serialises concurrent migrators across processes on PostgreSQL (SQLite's BEGIN IMMEDIATE does it there). */
const MIGRATION_LOCK_ID = 0x6466_6772;

/** The schema version a database is at; undefined when it has no schema of ours. */
export async function appliedVersion(db: SqlConnection): Promise<number | undefined> {
  try {
    const [row] = await db.all<{ version: number | null }>(
      'SELECT MAX(version) AS version FROM schema_migrations',
    );
    return Number(row?.version ?? 0);
  } catch {
    return undefined;
  }
}

function refuseNewer(current: number): void {
  if (current > SCHEMA_VERSION) {
    throw new StoreError(
      `database schema version ${current} is newer than this program's schema version ${SCHEMA_VERSION}: upgrade defender-graph (the database was not changed)`,
    );
  }
}

export async function migrate(db: SqlConnection): Promise<number> {
  // An up-to-date database is only read, so opening never waits for a sync's write transaction.
  const applied = await appliedVersion(db);
  if (applied !== undefined) refuseNewer(applied);
  if (applied === SCHEMA_VERSION) return SCHEMA_VERSION;
  await db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_on ${
      columnTypes(db.dialect).time
    } NOT NULL)`,
  );
  return db.transaction(async () => {
    if (db.dialect === 'postgres')
      await db.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_ID]);
    const current = (await appliedVersion(db)) ?? 0;
    refuseNewer(current);
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      const statements = MIGRATIONS[version - 1]!(columnTypes(db.dialect));
      for (const statement of statements) await db.exec(statement);
      await db.run('INSERT INTO schema_migrations (version, applied_on) VALUES (?, ?)', [
        version,
        Date.now(),
      ]);
    }
    return SCHEMA_VERSION;
  });
}
