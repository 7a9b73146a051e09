/**
 * History retention: old versions and long-deleted objects go, current objects and sync records
 * stay. Runs per instance under its sync lock, in one transaction, so it never meets a commit.
 */
import type { SqlConnection } from './sql/connection.js';
import { ENTITY_KIND, RELATIONSHIP_KIND, type ObjectKind } from './object-kinds.js';

export interface PruneCounts {
  /** Objects marked deleted before the cutoff, removed with every version of them. */
  deleted: number;
  /** History rows removed: versions superseded before the cutoff and those of removed objects. */
  versions: number;
}

export interface InstancePruneCounts {
  instance: string;
  entities: PruneCounts;
  relationships: PruneCounts;
}

/** Entity tables keyed like `entities` that follow its rows (class and search indexes). */
const ENTITY_INDEXES = ['entity_classes', 'entity_search'];

/**
 * Keys of the objects to remove: deleted before the cutoff. An entity a live relationship still
 * points at stays, so no current relationship loses its end.
 */
function doomedKeys(kind: ObjectKind): string {
  const referenced =
    kind === ENTITY_KIND
      ? `AND NOT EXISTS (SELECT 1 FROM relationships r WHERE r.instance_id = c.instance_id
           AND r.deleted = FALSE AND (r.from_key = c.key OR r.to_key = c.key))`
      : '';
  return `SELECT c.key FROM ${kind.table} c
    WHERE c.instance_id = ? AND c.deleted = TRUE AND c.begin_on < ? ${referenced}`;
}

async function pruneKind(
  db: SqlConnection,
  kind: ObjectKind,
  instanceId: string,
  before: number,
  dryRun: boolean,
): Promise<PruneCounts> {
  const doomed = doomedKeys(kind);
  const doomedParams = [instanceId, before];
  const oldVersions = `FROM ${kind.versions} WHERE instance_id = ? AND (end_on < ? OR key IN (${doomed}))`;
  const versionParams = [instanceId, before, ...doomedParams];
  const [deleted] = await db.all<{ n: number }>(
    `SELECT COUNT(*) AS n FROM (${doomed}) d`,
    doomedParams,
  );
  const [versions] = await db.all<{ n: number }>(
    `SELECT COUNT(*) AS n ${oldVersions}`,
    versionParams,
  );
  if (!dryRun) {
    await db.run(`DELETE ${oldVersions}`, versionParams);
    const followers = kind === ENTITY_KIND ? ENTITY_INDEXES : [];
    for (const table of [...followers, kind.table])
      await db.run(`DELETE FROM ${table} WHERE instance_id = ? AND key IN (${doomed})`, [
        instanceId,
        ...doomedParams,
      ]);
  }
  return { deleted: Number(deleted?.n ?? 0), versions: Number(versions?.n ?? 0) };
}

/** Counts (and unless `dryRun`, removes) what one instance's history holds from before `before`. */
export async function pruneInstance(
  db: SqlConnection,
  instance: { id: string; name: string },
  before: number,
  dryRun: boolean,
): Promise<InstancePruneCounts> {
  return db.transaction(async () => ({
    instance: instance.name,
    entities: await pruneKind(db, ENTITY_KIND, instance.id, before, dryRun),
    relationships: await pruneKind(db, RELATIONSHIP_KIND, instance.id, before, dryRun),
  }));
}
