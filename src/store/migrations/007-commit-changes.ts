import type { ColumnTypes } from './column-types.js';

/**
 * Staging diffed as it is written (store/staging.ts): each staged row says how it differs from the
 * committed graph (`change`; NULL when it does not) and which live type it sees again
 * (`seen_type`), so the commit reads only the rows it changes. `commit_changes` lists the committed
 * rows a commit deletes, for the statements that archive and mark them; rows live only inside the
 * commit transaction. A per-instance index of live rows by type and source lets the commit count
 * them without reading the rows. On PostgreSQL, staging is unlogged: it is rebuilt by any sync
 * that needs it, and a crashed server's staging belongs to syncs that died with it.
 */
export function commitChanges(t: ColumnTypes): string[] {
  const staged = ['staged_entities', 'staged_relationships'];
  return [
    ...staged.flatMap((table) => [
      `ALTER TABLE ${table} ADD COLUMN change TEXT`,
      `ALTER TABLE ${table} ADD COLUMN seen_type TEXT`,
      `CREATE INDEX ${table}_changed ON ${table} (sync_id, change) WHERE change IS NOT NULL`,
    ]),
    `CREATE INDEX staged_relationships_unresolved ON staged_relationships (sync_id, key) WHERE from_key IS NULL`,
    `CREATE INDEX entities_live ON entities (instance_id, deleted, source, type)`,
    `CREATE INDEX relationships_live ON relationships (instance_id, deleted, source, type)`,
    `CREATE TABLE commit_changes (
  sync_id INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL,
  change TEXT NOT NULL,
  PRIMARY KEY (sync_id, kind, key))`,
    ...(t.dialect === 'postgres'
      ? [...staged, 'commit_changes'].map((table) => `ALTER TABLE ${table} SET UNLOGGED`)
      : []),
  ];
}
