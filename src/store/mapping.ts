import stableStringify from 'fast-json-stable-stringify';
import type { PropertyValue, RelationshipMapping } from '../graph/types.js';
import type { SqlConnection } from './sql/connection.js';
import { jsonSql } from './sql/json.js';
import { entityHash, parseJson, relationshipHash, type Properties } from './rows.js';
import { storedString, toStoredJson } from './stored-json.js';
import { ENTITY_KIND, RELATIONSHIP_KIND } from './object-kinds.js';
import {
  STAGED_ENTITY_COLUMNS,
  STAGED_RELATIONSHIP_COLUMNS,
  type StagingWriter,
} from './staging.js';

interface Scope {
  db: SqlConnection;
  instanceId: string;
  syncId: number;
  staging: StagingWriter;
}

interface Condition {
  sql: string;
  params: unknown[];
}

/** One filter-key set as SQL over an entity table aliased `e`; undefined if a key has no value. */
function filterCondition(
  db: SqlConnection,
  keys: string[],
  target: Record<string, PropertyValue>,
): Condition | undefined {
  const json = jsonSql(db.dialect);
  const parts: Condition[] = [];
  for (const key of keys) {
    const value = target[key];
    if (value === undefined || value === null) return undefined;
    // A set's values are scalars; an array on the target means "any of them".
    const scalar = Array.isArray(value) ? value[0] : value;
    if (scalar === undefined) return undefined;
    if (key === '_key') parts.push({ sql: 'e.key = ?', params: [storedString(String(scalar))] });
    else if (key === '_type') parts.push({ sql: 'e.type = ?', params: [scalar] });
    else if (key === '_class') parts.push(json.arrayContains('e.classes', String(scalar)));
    else parts.push(json.propertyMatches('e.properties', key, scalar));
  }
  return {
    sql: parts.map((p) => p.sql).join(' AND '),
    params: parts.flatMap((p) => p.params),
  };
}

/** Keys of every entity matching the first filter-key set that matches anything: staged first, then committed. */
async function findTargets(scope: Scope, mapping: RelationshipMapping): Promise<string[]> {
  for (const keys of mapping.targetFilterKeys) {
    const condition = filterCondition(scope.db, keys, mapping.targetEntity);
    if (!condition) continue;
    const rows = await scope.db.all<{ key: string }>(
      `SELECT e.key AS key FROM staged_entities e WHERE e.sync_id = ? AND ${condition.sql}
       UNION
       SELECT e.key AS key FROM entities e WHERE e.instance_id = ? AND e.deleted = FALSE AND ${condition.sql}`,
      [scope.syncId, ...condition.params, scope.instanceId, ...condition.params],
    );
    if (rows.length > 0) return rows.map((r) => r.key).sort();
  }
  return [];
}

/** Stages the mapper's target when nothing matches: `_source: system-mapper`, like JupiterOne's mapper. */
async function stagePlaceholder(
  scope: Scope,
  mapping: RelationshipMapping,
): Promise<string | undefined> {
  const { _key, _type, _class, ...properties } = mapping.targetEntity;
  if (typeof _type !== 'string') return undefined;
  // Returned in stored form, like the keys findTargets reads from the tables.
  const key = storedString(
    typeof _key === 'string'
      ? _key
      : `${_type}:${stableStringify(mapping.targetFilterKeys.flat().map((k) => mapping.targetEntity[k]))}`,
  );
  const classes =
    _class === undefined || _class === null ? [] : Array.isArray(_class) ? _class : [_class];
  await scope.staging.stage(ENTITY_KIND, 'mapper', STAGED_ENTITY_COLUMNS, [
    {
      key,
      values: [
        _type,
        toStoredJson(classes),
        toStoredJson(properties),
        null,
        entityHash(_type, classes as string[], properties as Properties),
        'system-mapper',
      ],
    },
  ]);
  return key;
}

interface MappedRow {
  key: string;
  type: string;
  class: string;
  step_id: string;
  mapping: unknown;
  properties: unknown;
}

export interface MappingOutcome {
  resolved: number;
  placeholders: number;
  /** Mapped relationships with `skipTargetCreation` whose target does not exist: not committed. */
  skipped: number;
}

const BATCH = 500;

/**
 * Turns this run's mapped relationships into direct ones (one per matching target), before the
 * commit diffs them like any other relationship.
 */
export async function resolveMappedRelationships(scope: Scope): Promise<MappingOutcome> {
  const outcome: MappingOutcome = { resolved: 0, placeholders: 0, skipped: 0 };
  const { db, syncId } = scope;
  for (;;) {
    // Resolved rows leave the `from_key IS NULL` set, so each batch starts from the top.
    const batch = await db.all<MappedRow>(
      `SELECT key, type, class, step_id, mapping, properties FROM staged_relationships
       WHERE sync_id = ? AND from_key IS NULL ORDER BY key LIMIT ${BATCH}`,
      [syncId],
    );
    if (batch.length === 0) return outcome;
    for (const row of batch) {
      const mapping = parseJson<RelationshipMapping>(row.mapping);
      let targets = await findTargets(scope, mapping);
      if (targets.length === 0 && !mapping.skipTargetCreation) {
        const placeholder = await stagePlaceholder(scope, mapping);
        if (placeholder) {
          targets = [placeholder];
          outcome.placeholders++;
        }
      }
      await db.run('DELETE FROM staged_relationships WHERE sync_id = ? AND key = ?', [
        syncId,
        row.key,
      ]);
      if (targets.length === 0) {
        outcome.skipped++;
        continue;
      }
      const properties = parseJson<Properties>(row.properties);
      for (const [i, target] of targets.entries()) {
        const [fromKey, toKey] =
          mapping.relationshipDirection === 'REVERSE'
            ? [target, storedString(mapping.sourceEntityKey)]
            : [storedString(mapping.sourceEntityKey), target];
        await scope.staging.stage(RELATIONSHIP_KIND, row.step_id, STAGED_RELATIONSHIP_COLUMNS, [
          {
            key: i === 0 ? row.key : `${fromKey}|${row.class.toLowerCase()}|${toKey}`,
            values: [
              row.type,
              row.class,
              fromKey,
              toKey,
              toStoredJson(mapping),
              toStoredJson(properties),
              null,
              relationshipHash(row.type, row.class, fromKey, toKey, properties),
            ],
          },
        ]);
        outcome.resolved++;
      }
    }
  }
}
