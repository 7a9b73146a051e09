import type { ColumnTypes } from './column-types.js';

/**
 * What each step saved at an instance's last committed sync (Graph delta links, …), by step id:
 * an incremental sync starts from it. Replaced as a whole by each commit.
 */
export function syncStateSchema(t: ColumnTypes): string[] {
  return [
    `CREATE TABLE sync_state (
  instance_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  state ${t.json} NOT NULL,
  sync_id INTEGER NOT NULL,
  PRIMARY KEY (instance_id, step_id))`,
  ];
}
