import type { ColumnTypes } from './column-types.js';

/**
 * The commit's working set (store/commit.ts): the keys a commit changes, found in one pass over
 * staging and joined by every later statement, so those never scan the whole tenant again. Rows
 * live only inside the commit transaction. On PostgreSQL, staging is unlogged: it is rebuilt by
 * any sync that needs it, and a crashed server's staging belongs to syncs that died with it.
 */
export function commitChanges(t: ColumnTypes): string[] {
  return [
    `CREATE TABLE commit_changes (
  sync_id INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL,
  change TEXT NOT NULL,
  PRIMARY KEY (sync_id, kind, key))`,
    ...(t.dialect === 'postgres'
      ? [
          `ALTER TABLE staged_entities SET UNLOGGED`,
          `ALTER TABLE staged_relationships SET UNLOGGED`,
          `ALTER TABLE commit_changes SET UNLOGGED`,
        ]
      : []),
  ];
}
