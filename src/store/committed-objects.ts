import type { SqlConnection } from './sql/connection.js';
import { ENTITY_KIND, RELATIONSHIP_KIND } from './object-kinds.js';
import {
  entityFromRow,
  metadataFromRow,
  relationshipFromRow,
  type EntityRow,
  type MetadataRow,
  type RelationshipRow,
} from './rows.js';
import type { Entity, Relationship } from '../graph/types.js';

export interface IterateOptions {
  kind: 'entity' | 'relationship';
  instanceId?: string;
  includeDeleted?: boolean;
  includeRawData?: boolean;
}

export type CommittedObject = (Entity | Relationship) & Record<string, unknown>;

const PAGE = 1000;

/** Keyset-paged walk of committed objects with their J1 metadata. */
export async function iterateCommitted(
  db: SqlConnection,
  options: IterateOptions,
  each: (object: CommittedObject) => void | Promise<void>,
): Promise<void> {
  const kind = options.kind === 'entity' ? ENTITY_KIND : RELATIONSHIP_KIND;
  const filters = ['(instance_id > ? OR (instance_id = ? AND key > ?))'];
  const params: unknown[] = [];
  if (options.instanceId) {
    filters.push('instance_id = ?');
    params.push(options.instanceId);
  }
  if (!options.includeDeleted) filters.push('deleted = FALSE');
  const raw = options.includeRawData ? 'raw' : 'NULL AS raw';
  let after = { instance: '', key: '' };
  for (;;) {
    const rows = await db.all<EntityRow & RelationshipRow & MetadataRow>(
      `SELECT instance_id, key, id, ${kind.identity.join(', ')}, properties, ${raw}, version, created_on,
         begin_on, end_on, deleted, source FROM ${kind.table}
       WHERE ${filters.join(' AND ')} ORDER BY instance_id, key LIMIT ${PAGE}`,
      [after.instance, after.instance, after.key, ...params],
    );
    for (const row of rows) {
      const object = kind === ENTITY_KIND ? entityFromRow(row) : relationshipFromRow(row);
      await each({ ...object, ...metadataFromRow(row) } as CommittedObject);
    }
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1]!;
    after = { instance: last.instance_id, key: last.key };
  }
}
