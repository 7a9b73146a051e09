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
import type { StagingWriter } from './staging.js';

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
  staging: StagingWriter;
}

function add(counts: ChangeCounts, type: string, change: keyof TypeChangeCounts, n: number) {
  if (n === 0) return;
  const entry = (counts[type] ??= { created: 0, updated: 0, deleted: 0 });
  entry[change] += n;
}

/**
 * Per type: committed live rows (counted in the `_live` index) and how many this run did not
 * stage: the live rows less those staging saw again (counted as they were staged).
 */
export async function countUnseen(scope: CommitScope, kind: ObjectKind): Promise<TypeCount[]> {
  const rows = await scope.db.all<{ type: string; current: number }>(
    `SELECT type, COUNT(*) AS current FROM ${kind.table}
     WHERE instance_id = ? AND deleted = FALSE AND source = 'integration-managed'
     GROUP BY type ORDER BY type`,
    [scope.instanceId],
  );
  const seen = scope.staging.seen[kind.name];
  return rows.map((r) => {
    const current = Number(r.current);
    return { type: r.type, current, unseen: current - (seen.get(r.type) ?? 0) };
  });
}

/** Copies the committed rows `c` selected by `from` into history, closing them at `now`. */
async function archive(scope: CommitScope, kind: ObjectKind, from: string, params: unknown[]) {
  const columns = committedColumns(kind);
  const select = columns.map((c) => (c === 'end_on' ? 'COALESCE(c.end_on, ?)' : `c.${c}`));
  await scope.db.run(
    `INSERT INTO ${kind.versions} (${columns.join(', ')}) SELECT ${select.join(', ')} ${from}`,
    [scope.now, ...params],
  );
}

/** This run's staged rows `s` whose `change`, set as they were staged, is one of `changes`. */
const stagedWith = (kind: ObjectKind, changes: string) =>
  `${kind.staged} s WHERE s.sync_id = ? AND s.change IN (${changes})`;

const CHANGED = "'updated', 'recreated'";

/** Counts, per type, what staging found created, changed or back from deletion. */
async function countStagedChanges(scope: CommitScope, kind: ObjectKind, counts: ChangeCounts) {
  const rows = await scope.db.all<{ type: string; change: string; n: number }>(
    `SELECT s.type AS type, s.change AS change, COUNT(*) AS n
     FROM ${stagedWith(kind, `'created', ${CHANGED}`)} GROUP BY s.type, s.change`,
    [scope.syncId],
  );
  for (const row of rows)
    add(counts, row.type, row.change === 'updated' ? 'updated' : 'created', Number(row.n));
}

/** Writes a new version of each committed row staging found changed or back from deletion. */
async function supersedeChanged(scope: CommitScope, kind: ObjectKind) {
  const { db, syncId, instanceId, now } = scope;
  await archive(
    scope,
    kind,
    `FROM ${kind.staged} s JOIN ${kind.table} c ON c.instance_id = ? AND c.key = s.key
     WHERE s.sync_id = ? AND s.change IN (${CHANGED})`,
    [instanceId, syncId],
  );
  const assign = [...kind.identity, 'properties', 'raw', 'hash'].map((c) => `${c} = s.${c}`);
  await db.run(
    `UPDATE ${kind.table} SET ${assign.join(', ')}, version = ${kind.table}.version + 1,
       begin_on = ?, end_on = NULL, deleted = FALSE, source = ${kind.stagedSource}, sync_id = ?
     FROM ${stagedWith(kind, CHANGED)}
       AND ${kind.table}.instance_id = ? AND ${kind.table}.key = s.key`,
    [now, syncId, syncId, instanceId],
  );
}

/** Inserts the staged rows staging found with no committed row. */
async function createNew(scope: CommitScope, kind: ObjectKind) {
  const { db, syncId, instanceId, now } = scope;
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
     SELECT ${values.join(', ')} FROM ${stagedWith(kind, "'created'")}`,
    [instanceId, now, now, syncId, syncId],
  );
}

/** Lists the committed rows `rows` selects (key, type) in commit_changes as `change`. */
async function listChanges(
  scope: CommitScope,
  kind: ObjectKind,
  change: string,
  rows: string,
  params: unknown[],
) {
  await scope.db.run(
    `INSERT INTO commit_changes (sync_id, kind, key, type, change)
     SELECT ?, ?, x.key, x.type, ? FROM (${rows}) x`,
    [scope.syncId, kind.name, change, ...params],
  );
  return scope.db.all<{ type: string; n: number }>(
    `SELECT type, COUNT(*) AS n FROM commit_changes WHERE sync_id = ? AND kind = ? AND change = ?
     GROUP BY type`,
    [scope.syncId, kind.name, change],
  );
}

/** Marks the committed rows listed as `change` deleted as a new version; the previous one goes to history. */
async function markDeleted(scope: CommitScope, kind: ObjectKind, change: string) {
  const listed = `SELECT d.key FROM commit_changes d WHERE d.sync_id = ? AND d.kind = '${kind.name}' AND d.change = ?`;
  await archive(
    scope,
    kind,
    `FROM ${kind.table} c WHERE c.instance_id = ? AND c.key IN (${listed})`,
    [scope.instanceId, scope.syncId, change],
  );
  await scope.db.run(
    `UPDATE ${kind.table} AS c SET version = c.version + 1, deleted = TRUE, begin_on = ?, end_on = ?, sync_id = ?
     WHERE c.instance_id = ? AND c.key IN (${listed})`,
    [scope.now, scope.now, scope.syncId, scope.instanceId, scope.syncId, change],
  );
}

/** Deletes the live rows of `types` this run did not stage; only types that lost rows are read. */
async function deleteUnseen(
  scope: CommitScope,
  kind: ObjectKind,
  types: string[],
  unseen: TypeCount[],
  counts: ChangeCounts,
) {
  const gone = unseen.filter((c) => c.unseen > 0 && types.includes(c.type)).map((c) => c.type);
  if (gone.length === 0) return;
  const listed = await listChanges(
    scope,
    kind,
    'unseen',
    `SELECT c.key AS key, c.type AS type FROM ${kind.table} c
     WHERE c.instance_id = ? AND c.deleted = FALSE AND c.source = 'integration-managed'
       AND c.type IN (${gone.map(() => '?').join(', ')})
       AND NOT EXISTS (SELECT 1 FROM ${kind.staged} s WHERE s.sync_id = ? AND s.key = c.key)`,
    [scope.instanceId, ...gone, scope.syncId],
  );
  for (const row of listed) add(counts, row.type, 'deleted', Number(row.n));
  await markDeleted(scope, kind, 'unseen');
}

/** Mapper-created targets go when this run no longer maps anything to them. */
async function deleteOrphanPlaceholders(scope: CommitScope, counts: ChangeCounts) {
  const orphans = await listChanges(
    scope,
    ENTITY_KIND,
    'orphan',
    `SELECT c.key AS key, c.type AS type FROM entities c
     WHERE c.instance_id = ? AND c.deleted = FALSE AND c.source = 'system-mapper'
       AND NOT EXISTS (SELECT 1 FROM staged_entities s WHERE s.sync_id = ? AND s.key = c.key)
       AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.instance_id = c.instance_id
         AND r.deleted = FALSE AND (r.to_key = c.key OR r.from_key = c.key))`,
    [scope.instanceId, scope.syncId],
  );
  if (orphans.length === 0) return;
  for (const row of orphans) add(counts, row.type, 'deleted', Number(row.n));
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
    await countStagedChanges(scope, kind, counts);
    await supersedeChanged(scope, kind);
    await createNew(scope, kind);
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
