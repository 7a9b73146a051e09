/** The imported roster of each instance: stored whole, replaced whole (the store does not read its rows). */
import type { SqlConnection } from './sql/connection.js';
import { parseJson } from './rows.js';

export interface StoredRoster {
  name: string;
  rows: unknown[];
  importedOn: number;
}

export async function saveRoster(
  db: SqlConnection,
  instanceId: string,
  roster: { name: string; rows: unknown[] },
): Promise<void> {
  await db.transaction(async () => {
    await db.run('DELETE FROM people_rosters WHERE instance_id = ?', [instanceId]);
    await db.run(
      'INSERT INTO people_rosters (instance_id, name, rows, imported_on) VALUES (?, ?, ?, ?)',
      [instanceId, roster.name, JSON.stringify(roster.rows), Date.now()],
    );
  });
}

export async function loadRoster(
  db: SqlConnection,
  instanceId: string,
): Promise<StoredRoster | undefined> {
  const [row] = await db.all<{ name: string; rows: unknown; imported_on: number }>(
    'SELECT name, rows, imported_on FROM people_rosters WHERE instance_id = ?',
    [instanceId],
  );
  return row
    ? { name: row.name, rows: parseJson<unknown[]>(row.rows), importedOn: Number(row.imported_on) }
    : undefined;
}
