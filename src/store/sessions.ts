/**
 * The rows behind the HTTP API's browser sessions. Creating ids and hashing cookie values belong
 * to the server's auth part; this module keeps the rows, on the service's own connection (never
 * inside a sync's transaction).
 */
import type { Role } from './accounts.js';
import type { SqlConnection } from './sql/connection.js';

/** Seen-times closer together than this are not written again: a request is not a write. */
const SEEN_RESOLUTION_MS = 60_000;

export class SessionRows {
  constructor(private readonly db: () => Promise<SqlConnection>) {}

  /** Stores a new session and drops the ones idle for `idleMs` or longer. */
  async add(idHash: string, userName: string, now: number, idleMs: number): Promise<void> {
    const db = await this.db();
    await db.run('DELETE FROM sessions WHERE seen_on <= ?', [now - idleMs]);
    await db.run(
      'INSERT INTO sessions (id_hash, user_name, created_on, seen_on) VALUES (?, ?, ?, ?)',
      [idHash, userName, now, now],
    );
  }

  /**
   * The user of a session seen less than `idleMs` ago, with the role it has now (a removed user
   * has no session any more); its idle time starts again.
   */
  async touch(
    idHash: string,
    now: number,
    idleMs: number,
  ): Promise<{ name: string; role: Role } | undefined> {
    const db = await this.db();
    const [row] = await db.all<{ name: string; role: Role; seen_on: number | string }>(
      `SELECT u.name, u.role, s.seen_on FROM sessions s JOIN users u ON u.name = s.user_name
       WHERE s.id_hash = ?`,
      [idHash],
    );
    if (!row) return undefined;
    const seenOn = Number(row.seen_on);
    if (seenOn <= now - idleMs) {
      await this.remove(idHash);
      return undefined;
    }
    if (now - seenOn >= SEEN_RESOLUTION_MS)
      await db.run('UPDATE sessions SET seen_on = ? WHERE id_hash = ?', [now, idHash]);
    return { name: row.name, role: row.role };
  }

  async remove(idHash: string): Promise<void> {
    await (await this.db()).run('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
  }
}
