import { existsSync } from 'node:fs';
import { UsageError } from '../util/usage-error.js';
import { SqliteConnection } from './sql/sqlite.js';
import { PostgresConnection } from './sql/postgres.js';
import type { SqlConnection } from './sql/connection.js';
import { StoreError } from './sql/connection.js';
import { appliedVersion, migrate } from './migrations/index.js';
import { parseStoreUrl, redactUrl, type StoreLocation } from './url.js';
import { SqlGraphStore, type GraphStore } from './graph-store.js';

export type { GraphStore } from './graph-store.js';
export type { Dialect, SqlConnection } from './sql/connection.js';
export { StoreError } from './sql/connection.js';
export { SCHEMA_VERSION } from './migrations/index.js';
export { DEFAULT_STORE_URL, resolveStoreUrl, redactUrl } from './url.js';

export interface OpenOptions {
  /**
   * Refuse (a UsageError) a store that does not exist yet, creating nothing: a SQLite file that
   * is not there, or a database without our schema. Read-only commands open stores this way.
   */
  mustExist?: boolean;
}

/** A read-only open of a store that does not exist: a usage error (exit 2), nothing created. */
export class NoStoreError extends UsageError {
  override name = 'NoStoreError';
  constructor(location: StoreLocation) {
    const where = location.dialect === 'sqlite' ? location.path : redactUrl(location.url);
    super(`no store at ${where}; run sync first`);
  }
}

/**
 * Opens `sqlite:PATH` (or a bare path) or `postgres://…`, runs pending migrations (refusing a
 * newer schema), and returns a store with a writer session and a separate reader that only sees
 * committed data.
 */
export async function openGraphStore(url: string, options: OpenOptions = {}): Promise<GraphStore> {
  const location = parseStoreUrl(url);
  let writer: SqlConnection | undefined;
  let reader: SqlConnection | undefined;
  try {
    if (location.dialect === 'sqlite' && options.mustExist && !existsSync(location.path))
      throw new NoStoreError(location);
    writer =
      location.dialect === 'sqlite'
        ? new SqliteConnection(location.path)
        : await PostgresConnection.connect(location.url);
    if (options.mustExist && !(await appliedVersion(writer))) throw new NoStoreError(location);
    await migrate(writer);
    reader =
      location.dialect === 'sqlite'
        ? new SqliteConnection(location.path, { readOnly: true })
        : await PostgresConnection.connect(location.url);
  } catch (err) {
    await writer?.close().catch(() => undefined);
    if (err instanceof StoreError || err instanceof UsageError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreError(`cannot open the store ${redactUrl(url)}: ${reason}`, { cause: err });
  }
  return new SqlGraphStore(writer, reader, redactUrl(url), () => connect(location));
}

/** A further connection to an already migrated store. */
async function connect(location: StoreLocation): Promise<SqlConnection> {
  return location.dialect === 'sqlite'
    ? new SqliteConnection(location.path)
    : PostgresConnection.connect(location.url);
}
