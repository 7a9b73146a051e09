import type { Entity, GraphRelationship, PreviousGraph, SyncState } from '../graph/types.js';
import type { SqlConnection } from './sql/connection.js';
import { ENTITY_KIND, RELATIONSHIP_KIND } from './object-kinds.js';
import {
  entityFromRow,
  parseJson,
  relationshipFromRow,
  type EntityRow,
  type RelationshipRow,
} from './rows.js';
import { toStoredJson } from './stored-json.js';

const PAGE = 1000;

/**
 * The instance's committed graph, as an incremental sync reads it: live objects of one type in
 * key order, keyset-paged so memory stays flat, without raw data. A relationship committed from a
 * mapped one comes back as the direct relationship it was resolved to.
 */
export function previousGraph(db: SqlConnection, instanceId: string): PreviousGraph {
  const walk = async <R extends { key: string }>(
    columns: string,
    table: string,
    type: string,
    each: (row: R) => void | Promise<void>,
  ) => {
    let after = '';
    for (;;) {
      const rows = await db.all<R>(
        `SELECT key, ${columns} FROM ${table}
         WHERE instance_id = ? AND type = ? AND deleted = FALSE AND key > ? ORDER BY key LIMIT ${PAGE}`,
        [instanceId, type, after],
      );
      for (const row of rows) await each(row);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.key;
    }
  };
  return {
    iterateEntities: (filter, each: (entity: Entity) => void | Promise<void>) =>
      walk<EntityRow>('type, classes, properties', ENTITY_KIND.table, filter._type, (row) =>
        each(entityFromRow(row)),
      ),
    iterateRelationships: (filter, each: (r: GraphRelationship) => void | Promise<void>) =>
      walk<RelationshipRow>(
        'type, class, from_key, to_key, properties',
        RELATIONSHIP_KIND.table,
        filter._type,
        (row) => each(relationshipFromRow(row)),
      ),
  };
}

export async function loadSyncState(db: SqlConnection, instanceId: string): Promise<SyncState> {
  const rows = await db.all<{ step_id: string; state: unknown }>(
    'SELECT step_id, state FROM sync_state WHERE instance_id = ?',
    [instanceId],
  );
  return Object.fromEntries(
    rows.map((r) => [r.step_id, parseJson<Record<string, string>>(r.state)]),
  );
}

/** Replaces the instance's saved state with exactly `state` (inside the commit's transaction). */
export async function saveSyncState(
  db: SqlConnection,
  instanceId: string,
  syncId: number,
  state: SyncState,
): Promise<void> {
  await db.run('DELETE FROM sync_state WHERE instance_id = ?', [instanceId]);
  for (const [stepId, values] of Object.entries(state))
    await db.run(
      'INSERT INTO sync_state (instance_id, step_id, state, sync_id) VALUES (?, ?, ?, ?)',
      [instanceId, stepId, toStoredJson(values), syncId],
    );
}
