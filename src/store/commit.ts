import type { SqlConnection } from './sql/connection.js';
import { jsonSql } from './sql/json.js';
import {
  committedColumns,
  ENTITY_KIND,
  OBJECT_KINDS,
  RELATIONSHIP_KIND,
  type ObjectKind,
} from './object-kinds.js';
import type { TypeCount } from './protection.js';
import { refreshEntitySearch } from './search-index.js';

export interface TypeChangeCounts {
  created: number;
  updated: number;
  deleted: number;
}

export type ChangeCounts = Record<string, TypeChangeCounts>;

interface CommitScope {
  db: SqlConnection;
  instanceId: string;
  syncId: number;
  now: number;
}

function add(counts: ChangeCounts, type: string, change: keyof TypeChangeCounts, n: number) {
  if (n === 0) return;
  const entry = (counts[type] ??= { created: 0, updated: 0, deleted: 0 });
  entry[change] += n;
}

/** Per type: committed live rows and how many this run did not stage. */
export async function countUnseen(scope: CommitScope, kind: ObjectKind): Promise<TypeCount[]> {
  const rows = await scope.db.all<{ type: string; current: number; unseen: number }>(
    `SELECT c.type AS type, COUNT(*) AS current,
       SUM(CASE WHEN s.key IS NULL THEN 1 ELSE 0 END) AS unseen
     FROM ${kind.table} c LEFT JOIN ${kind.staged} s ON s.sync_id = ? AND s.key = c.key
     WHERE c.instance_id = ? AND c.deleted = FALSE AND c.source = 'integration-managed'
     GROUP BY c.type`,
    [scope.syncId, scope.instanceId],
  );
  return rows.map((r) => ({ type: r.type, current: Number(r.current), unseen: Number(r.unseen) }));
}

/** Copies the current rows matching `where` into history, closing them at `now`. */
async function archive(
  scope: CommitScope,
  kind: ObjectKind,
  from: string,
  where: string,
  params: unknown[],
) {
  const columns = committedColumns(kind);
  const select = columns.map((c) => (c === 'end_on' ? 'COALESCE(c.end_on, ?)' : `c.${c}`));
  await scope.db.run(
    `INSERT INTO ${kind.versions} (${columns.join(', ')}) SELECT ${select.join(', ')} ${from} WHERE ${where}`,
    [scope.now, ...params],
  );
}

/** Staged rows whose committed row differs, or was deleted and is back. */
const CHANGED = '(c.hash <> s.hash OR c.deleted = TRUE)';

async function supersedeChanged(scope: CommitScope, kind: ObjectKind, counts: ChangeCounts) {
  const { db, syncId, instanceId, now } = scope;
  const changed = await db.all<{ type: string; recreated: number; updated: number }>(
    `SELECT s.type AS type,
       SUM(CASE WHEN c.deleted = TRUE THEN 1 ELSE 0 END) AS recreated,
       SUM(CASE WHEN c.deleted = TRUE THEN 0 ELSE 1 END) AS updated
     FROM ${kind.staged} s JOIN ${kind.table} c ON c.instance_id = ? AND c.key = s.key
     WHERE s.sync_id = ? AND ${CHANGED} GROUP BY s.type`,
    [instanceId, syncId],
  );
  if (changed.length === 0) return;
  for (const row of changed) {
    add(counts, row.type, 'created', Number(row.recreated));
    add(counts, row.type, 'updated', Number(row.updated));
  }
  await archive(
    scope,
    kind,
    `FROM ${kind.table} c JOIN ${kind.staged} s ON s.sync_id = ? AND s.key = c.key`,
    `c.instance_id = ? AND ${CHANGED}`,
    [syncId, instanceId],
  );
  const assign = [...kind.identity, 'properties', 'raw', 'hash'].map((c) => `${c} = s.${c}`);
  await db.run(
    `UPDATE ${kind.table} SET ${assign.join(', ')}, version = ${kind.table}.version + 1,
       begin_on = ?, end_on = NULL, deleted = FALSE, source = ${kind.stagedSource}, sync_id = ?
     FROM ${kind.staged} s
     WHERE s.sync_id = ? AND s.key = ${kind.table}.key AND ${kind.table}.instance_id = ?
       AND (${kind.table}.hash <> s.hash OR ${kind.table}.deleted = TRUE)`,
    [now, syncId, syncId, instanceId],
  );
}

async function createNew(scope: CommitScope, kind: ObjectKind, counts: ChangeCounts) {
  const { db, syncId, instanceId, now } = scope;
  const notCommitted = `NOT EXISTS (SELECT 1 FROM ${kind.table} c WHERE c.instance_id = ? AND c.key = s.key)`;
  const created = await db.all<{ type: string; n: number }>(
    `SELECT s.type AS type, COUNT(*) AS n FROM ${kind.staged} s
     WHERE s.sync_id = ? AND ${notCommitted} GROUP BY s.type`,
    [syncId, instanceId],
  );
  if (created.length === 0) return;
  for (const row of created) add(counts, row.type, 'created', Number(row.n));
  const values = [
    'CAST(? AS TEXT)',
    's.key',
    'CAST(gen_random_uuid() AS TEXT)',
    ...kind.identity.map((c) => `s.${c}`),
    's.properties',
    's.raw',
    's.hash',
    '1',
    'CAST(? AS BIGINT)',
    'CAST(? AS BIGINT)',
    'NULL',
    'FALSE',
    kind.stagedSource,
    'CAST(? AS INTEGER)',
  ];
  await db.run(
    `INSERT INTO ${kind.table} (${committedColumns(kind).join(', ')})
     SELECT ${values.join(', ')} FROM ${kind.staged} s WHERE s.sync_id = ? AND ${notCommitted}`,
    [instanceId, now, now, syncId, syncId, instanceId],
  );
}

/** Marks live rows matching `where` deleted as a new version; the previous one goes to history. */
async function markDeleted(scope: CommitScope, kind: ObjectKind, where: string, params: unknown[]) {
  const live = `c.instance_id = ? AND c.deleted = FALSE AND ${where}`;
  await archive(scope, kind, `FROM ${kind.table} c`, live, [scope.instanceId, ...params]);
  await scope.db.run(
    `UPDATE ${kind.table} AS c SET version = c.version + 1, deleted = TRUE, begin_on = ?, end_on = ?, sync_id = ?
     WHERE ${live}`,
    [scope.now, scope.now, scope.syncId, scope.instanceId, ...params],
  );
}

async function deleteUnseen(
  scope: CommitScope,
  kind: ObjectKind,
  types: string[],
  unseen: TypeCount[],
  counts: ChangeCounts,
) {
  if (types.length === 0) return;
  for (const c of unseen) if (types.includes(c.type)) add(counts, c.type, 'deleted', c.unseen);
  await markDeleted(
    scope,
    kind,
    `c.source = 'integration-managed' AND c.type IN (${types.map(() => '?').join(', ')})
     AND NOT EXISTS (SELECT 1 FROM ${kind.staged} s WHERE s.sync_id = ? AND s.key = c.key)`,
    [...types, scope.syncId],
  );
}

/** Mapper-created targets go when this run no longer maps anything to them. */
async function deleteOrphanPlaceholders(scope: CommitScope, counts: ChangeCounts) {
  const orphan = `c.source = 'system-mapper'
     AND NOT EXISTS (SELECT 1 FROM staged_entities s WHERE s.sync_id = ? AND s.key = c.key)
     AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.instance_id = c.instance_id
       AND r.deleted = FALSE AND (r.to_key = c.key OR r.from_key = c.key))`;
  const orphans = await scope.db.all<{ type: string; n: number }>(
    `SELECT c.type AS type, COUNT(*) AS n FROM entities c
     WHERE c.instance_id = ? AND c.deleted = FALSE AND ${orphan} GROUP BY c.type`,
    [scope.instanceId, scope.syncId],
  );
  if (orphans.length === 0) return;
  for (const row of orphans) add(counts, row.type, 'deleted', Number(row.n));
  await markDeleted(scope, ENTITY_KIND, orphan, [scope.syncId]);
}

/** The class index follows every entity row this sync wrote. */
async function refreshEntityClasses(scope: CommitScope) {
  const { db, instanceId, syncId } = scope;
  await db.run(
    `DELETE FROM entity_classes WHERE instance_id = ?
       AND key IN (SELECT key FROM entities WHERE instance_id = ? AND sync_id = ?)`,
    [instanceId, instanceId, syncId],
  );
  await db.run(
    `INSERT INTO entity_classes (instance_id, key, class)
     SELECT DISTINCT e.instance_id, e.key, j.value FROM entities e, ${jsonSql(db.dialect).arrayElements('e.classes')}
     WHERE e.instance_id = ? AND e.sync_id = ?`,
    [instanceId, syncId],
  );
}

export interface CommitPlan {
  entityTypes: string[];
  relationshipTypes: string[];
  unseen: { entities: TypeCount[]; relationships: TypeCount[] };
}

/**
 * Applies one run's staging to the committed graph. Runs inside the caller's transaction; the
 * caller's `pause` hook lets crash tests kill the process with the transaction open.
 */
export async function applyStaging(
  scope: CommitScope,
  plan: CommitPlan,
  pause: () => Promise<void>,
): Promise<ChangeCounts> {
  const counts: ChangeCounts = {};
  for (const kind of OBJECT_KINDS) {
    await supersedeChanged(scope, kind, counts);
    await createNew(scope, kind, counts);
    if (kind === ENTITY_KIND) await pause();
  }
  await deleteUnseen(scope, ENTITY_KIND, plan.entityTypes, plan.unseen.entities, counts);
  await deleteUnseen(
    scope,
    RELATIONSHIP_KIND,
    plan.relationshipTypes,
    plan.unseen.relationships,
    counts,
  );
  await deleteOrphanPlaceholders(scope, counts);
  await refreshEntityClasses(scope);
  await refreshEntitySearch(scope.db, scope.instanceId, scope.syncId);
  return counts;
}
