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

/** Joins committed rows `c` to this commit's changes of `change` (a SQL list of quoted names). */
function changedRows(kind: ObjectKind, changes: string): string {
  return `FROM ${kind.table} c JOIN commit_changes d ON d.sync_id = ? AND d.kind = '${kind.name}'
     AND d.key = c.key AND d.change IN (${changes})`;
}

/** Copies the committed rows listed in commit_changes as `changes` into history, closed at `now`. */
async function archive(scope: CommitScope, kind: ObjectKind, changes: string) {
  const columns = committedColumns(kind);
  const select = columns.map((c) => (c === 'end_on' ? 'COALESCE(c.end_on, ?)' : `c.${c}`));
  await scope.db.run(
    `INSERT INTO ${kind.versions} (${columns.join(', ')})
     SELECT ${select.join(', ')} ${changedRows(kind, changes)} WHERE c.instance_id = ?`,
    [scope.now, scope.syncId, scope.instanceId],
  );
}

/** Lists `rows` (selecting key, type, change) as this commit's changes; per type and change, how many. */
async function recordChanges(
  scope: CommitScope,
  kind: ObjectKind,
  rows: string,
  params: unknown[],
) {
  await scope.db.run(
    `INSERT INTO commit_changes (sync_id, kind, key, type, change) SELECT ?, ?, x.key, x.type, x.change FROM (${rows}) x`,
    [scope.syncId, kind.name, ...params],
  );
  return scope.db.all<{ type: string; change: string; n: number }>(
    `SELECT type, change, COUNT(*) AS n FROM commit_changes WHERE sync_id = ? AND kind = ?
     GROUP BY type, change`,
    [scope.syncId, kind.name],
  );
}

/**
 * One pass over this run's staging finds the staged rows whose committed row differs (hashes
 * compared in SQL) or was deleted and is back; only those rows are archived and rewritten.
 */
async function supersedeChanged(scope: CommitScope, kind: ObjectKind, counts: ChangeCounts) {
  const { db, syncId, instanceId, now } = scope;
  const changed = await recordChanges(
    scope,
    kind,
    `SELECT s.key AS key, s.type AS type,
       CASE WHEN c.deleted = TRUE THEN 'recreated' ELSE 'updated' END AS change
     FROM ${kind.staged} s JOIN ${kind.table} c ON c.instance_id = ? AND c.key = s.key
     WHERE s.sync_id = ? AND (c.hash <> s.hash OR c.deleted = TRUE)`,
    [instanceId, syncId],
  );
  if (changed.length === 0) return;
  for (const row of changed)
    add(counts, row.type, row.change === 'recreated' ? 'created' : 'updated', Number(row.n));
  await archive(scope, kind, "'updated', 'recreated'");
  const assign = [...kind.identity, 'properties', 'raw', 'hash'].map((c) => `${c} = s.${c}`);
  await db.run(
    `UPDATE ${kind.table} SET ${assign.join(', ')}, version = ${kind.table}.version + 1,
       begin_on = ?, end_on = NULL, deleted = FALSE, source = ${kind.stagedSource}, sync_id = ?
     FROM commit_changes d, ${kind.staged} s
     WHERE d.sync_id = ? AND d.kind = '${kind.name}' AND d.change IN ('updated', 'recreated')
       AND s.sync_id = d.sync_id AND s.key = d.key
       AND ${kind.table}.instance_id = ? AND ${kind.table}.key = d.key`,
    [now, syncId, syncId, instanceId],
  );
}

/** Inserts the staged rows with no committed row, one type at a time so each count is the insert's. */
async function createNew(scope: CommitScope, kind: ObjectKind, counts: ChangeCounts) {
  const { db, syncId, instanceId, now } = scope;
  const types = await db.all<{ type: string }>(
    `SELECT DISTINCT type FROM ${kind.staged} WHERE sync_id = ?`,
    [syncId],
  );
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
  for (const { type } of types) {
    const created = await db.run(
      `INSERT INTO ${kind.table} (${committedColumns(kind).join(', ')})
       SELECT ${values.join(', ')} FROM ${kind.staged} s WHERE s.sync_id = ? AND s.type = ?
         AND NOT EXISTS (SELECT 1 FROM ${kind.table} c WHERE c.instance_id = ? AND c.key = s.key)`,
      [instanceId, now, now, syncId, syncId, type, instanceId],
    );
    add(counts, type, 'created', created);
  }
}

/** Marks the committed rows listed as `change` deleted as a new version; the previous one goes to history. */
async function markDeleted(scope: CommitScope, kind: ObjectKind, change: string) {
  await archive(scope, kind, `'${change}'`);
  await scope.db.run(
    `UPDATE ${kind.table} AS c SET version = c.version + 1, deleted = TRUE, begin_on = ?, end_on = ?, sync_id = ?
     WHERE c.instance_id = ? AND c.key IN (SELECT d.key FROM commit_changes d
       WHERE d.sync_id = ? AND d.kind = '${kind.name}' AND d.change = '${change}')`,
    [scope.now, scope.now, scope.syncId, scope.instanceId, scope.syncId],
  );
}

/** Deletes the live rows of `types` this run did not stage; only types with such rows are scanned. */
async function deleteUnseen(
  scope: CommitScope,
  kind: ObjectKind,
  types: string[],
  unseen: TypeCount[],
  counts: ChangeCounts,
) {
  const gone = unseen.filter((c) => c.unseen > 0 && types.includes(c.type)).map((c) => c.type);
  if (gone.length === 0) return;
  for (const c of unseen) if (gone.includes(c.type)) add(counts, c.type, 'deleted', c.unseen);
  await recordChanges(
    scope,
    kind,
    `SELECT c.key AS key, c.type AS type, 'unseen' AS change FROM ${kind.table} c
     WHERE c.instance_id = ? AND c.type IN (${gone.map(() => '?').join(', ')})
       AND c.deleted = FALSE AND c.source = 'integration-managed'
       AND NOT EXISTS (SELECT 1 FROM ${kind.staged} s WHERE s.sync_id = ? AND s.key = c.key)`,
    [scope.instanceId, ...gone, scope.syncId],
  );
  await markDeleted(scope, kind, 'unseen');
}

/** Mapper-created targets go when this run no longer maps anything to them. */
async function deleteOrphanPlaceholders(scope: CommitScope, counts: ChangeCounts) {
  const orphans = await recordChanges(
    scope,
    ENTITY_KIND,
    `SELECT c.key AS key, c.type AS type, 'orphan' AS change FROM entities c
     WHERE c.instance_id = ? AND c.deleted = FALSE AND c.source = 'system-mapper'
       AND NOT EXISTS (SELECT 1 FROM staged_entities s WHERE s.sync_id = ? AND s.key = c.key)
       AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.instance_id = c.instance_id
         AND r.deleted = FALSE AND (r.to_key = c.key OR r.from_key = c.key))`,
    [scope.instanceId, scope.syncId],
  );
  const found = orphans.filter((row) => row.change === 'orphan');
  if (found.length === 0) return;
  for (const row of found) add(counts, row.type, 'deleted', Number(row.n));
  await markDeleted(scope, ENTITY_KIND, 'orphan');
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
  await scope.db.run('DELETE FROM commit_changes WHERE sync_id = ?', [scope.syncId]);
  return counts;
}
