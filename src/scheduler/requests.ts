/**
 * Sync requests (`defender-graph run INSTANCE`, the HTTP API): rows any process may add and the
 * scheduler takes, so a request reaches the `serve` process that runs the sync.
 */
import type { SqlConnection } from '../store/index.js';

export async function addSyncRequest(
  db: SqlConnection,
  instanceName: string,
  requestedBy: string,
  now: number,
): Promise<void> {
  await db.run(
    'INSERT INTO sync_requests (instance_name, requested_on, requested_by) VALUES (?, ?, ?)',
    [instanceName, now, requestedBy],
  );
}

/** Instance names with a pending request (several requests for one instance are one run). */
export async function pendingRequests(db: SqlConnection): Promise<Set<string>> {
  const rows = await db.all<{ instance_name: string }>(
    'SELECT DISTINCT instance_name FROM sync_requests',
  );
  return new Set(rows.map((r) => r.instance_name));
}

/** Removes the instance's requests as its sync starts: they are all answered by this run. */
export async function takeRequests(db: SqlConnection, instanceName: string): Promise<number> {
  return db.run('DELETE FROM sync_requests WHERE instance_name = ?', [instanceName]);
}
