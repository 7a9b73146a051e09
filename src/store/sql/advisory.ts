/** PostgreSQL advisory locks: how processes sharing one server take turns. */
import type { SqlConnection } from './connection.js';

/** A class id for this program's advisory locks, so they cannot collide with other users of the server. */
export const ADVISORY_CLASS = 0x6467;

/**
 * Inside a transaction: waits until no other process's transaction holds `purpose`, so
 * read-then-write work (several `serve` processes importing the same rules at start) cannot race.
 * SQLite needs nothing: its write transactions (BEGIN IMMEDIATE) already run one at a time.
 */
export async function lockForTransaction(db: SqlConnection, purpose: string): Promise<void> {
  if (db.dialect === 'postgres')
    await db.all('SELECT pg_advisory_xact_lock(?, hashtext(?))', [ADVISORY_CLASS, purpose]);
}
