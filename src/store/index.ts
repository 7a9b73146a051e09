import { SqliteConnection } from './sql/sqlite.js';
import { PostgresConnection } from './sql/postgres.js';
import type { SqlConnection } from './sql/connection.js';
import { StoreError } from './sql/connection.js';
import { migrate } from './migrations/index.js';
import { parseStoreUrl, redactUrl, type StoreLocation } from './url.js';
import { SqlGraphStore, type GraphStore } from './graph-store.js';

export type { GraphStore } from './graph-store.js';
export type { Dialect, SqlConnection } from './sql/connection.js';
export { StoreError } from './sql/connection.js';
export { SCHEMA_VERSION } from './migrations/index.js';
export { DEFAULT_STORE_URL, resolveStoreUrl, redactUrl } from './url.js';

/**
 * Opens `sqlite:PATH` or `postgres://…`, runs pending migrations (refusing a newer schema), and
 * returns a store with a writer session and a separate reader that only sees committed data.
 */
export async function openGraphStore(url: string): Promise<GraphStore> {
  const location = parseStoreUrl(url);
  let writer: SqlConnection | undefined;
  let reader: SqlConnection | undefined;
  try {
    if (location.dialect === 'sqlite') {
      writer = new SqliteConnection(location.path);
      await migrate(writer);
      reader = new SqliteConnection(location.path, { readOnly: true });
    } else {
      writer = await PostgresConnection.connect(location.url);
      await migrate(writer);
      reader = await PostgresConnection.connect(location.url);
    }
  } catch (err) {
    await writer?.close().catch(() => undefined);
    if (err instanceof StoreError) throw err;
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
