import type { SqlConnection } from './sql/connection.js';
import { committedColumns, OBJECT_KINDS, type ObjectKind } from './object-kinds.js';
import { metadataFromRow, parseJson, type MetadataRow, type Properties } from './rows.js';
import { originalString, storedString } from './stored-json.js';
import type { PropertyValue } from '../graph/types.js';

export interface ObjectChange {
  kind: 'entity' | 'relationship';
  key: string;
  type: string;
  syncId: number;
  instanceId: string;
  version: number;
  /** The version's `displayName`, when it has one: what a person recognises beside the key. */
  displayName?: string;
}

export interface PropertyChange {
  property: string;
  before?: PropertyValue;
  after?: PropertyValue;
}

export interface UpdatedObject extends ObjectChange {
  changes: PropertyChange[];
}

/** What the given syncs did: objects they created (or brought back), updated, and marked deleted. */
export interface ChangeSet {
  syncIds: number[];
  created: ObjectChange[];
  updated: UpdatedObject[];
  deleted: ObjectChange[];
}

interface VersionRow extends MetadataRow {
  key: string;
  type: string;
  classes?: unknown;
  class?: string;
  from_key?: string;
  to_key?: string;
  properties: unknown;
  sync_id: number;
}

/** The visible shape of a version: `_class` (and endpoints) compared like properties. */
function comparable(kind: ObjectKind, row: Omit<VersionRow, keyof MetadataRow>): Properties {
  const identity: Properties =
    kind.name === 'entity'
      ? { _type: row.type, _class: parseJson<string[]>(row.classes) }
      : {
          _type: row.type,
          _class: row.class ?? '',
          _fromEntityKey: originalString(row.from_key ?? ''),
          _toEntityKey: originalString(row.to_key ?? ''),
        };
  return { ...identity, ...parseJson<Properties>(row.properties) };
}

export function diffProperties(before: Properties, after: Properties): PropertyChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: PropertyChange[] = [];
  for (const property of names) {
    if (JSON.stringify(before[property]) === JSON.stringify(after[property])) continue;
    const change: PropertyChange = { property };
    if (property in before) change.before = before[property];
    if (property in after) change.after = after[property];
    changes.push(change);
  }
  return changes;
}

function displayNameOf(properties: unknown): { displayName?: string } {
  const name = parseJson<Properties>(properties).displayName;
  return typeof name === 'string' ? { displayName: name } : {};
}

function allVersions(kind: ObjectKind, where: string): string {
  const columns = committedColumns(kind).join(', ');
  return `SELECT ${columns} FROM ${kind.table} WHERE ${where}
          UNION ALL SELECT ${columns} FROM ${kind.versions} WHERE ${where}`;
}

/** Reads the versions the syncs wrote and classifies each against its previous version. */
export async function changesOfSyncs(db: SqlConnection, syncIds: number[]): Promise<ChangeSet> {
  const set: ChangeSet = { syncIds, created: [], updated: [], deleted: [] };
  if (syncIds.length === 0) return set;
  const inList = `sync_id IN (${syncIds.map(() => '?').join(', ')})`;
  for (const kind of OBJECT_KINDS) {
    const identity = kind.identity.map((c) => `p.${c} AS prev_${c}`).join(', ');
    const rows = await db.all<VersionRow & Record<string, unknown>>(
      `SELECT v.*, p.deleted AS prev_deleted, p.properties AS prev_properties, ${identity}
       FROM (${allVersions(kind, inList)}) v
       LEFT JOIN ${kind.versions} p ON p.instance_id = v.instance_id AND p.key = v.key AND p.version = v.version - 1
       ORDER BY v.sync_id, v.type, v.key`,
      [...syncIds, ...syncIds],
    );
    for (const row of rows) {
      const change: ObjectChange = {
        kind: kind.name,
        key: originalString(row.key),
        type: row.type,
        syncId: Number(row.sync_id),
        instanceId: row.instance_id,
        version: Number(row.version),
        ...displayNameOf(row.properties),
      };
      if (row.deleted) set.deleted.push(change);
      else if (
        row.prev_properties === null ||
        row.prev_properties === undefined ||
        Boolean(row.prev_deleted)
      )
        set.created.push(change);
      else {
        const previous = Object.fromEntries(
          kind.identity.map((c) => [c, row[`prev_${c}`]]),
        ) as Omit<VersionRow, keyof MetadataRow>;
        previous.properties = row.prev_properties;
        set.updated.push({
          ...change,
          changes: diffProperties(comparable(kind, previous), comparable(kind, row)),
        });
      }
    }
  }
  return set;
}

export interface ObjectVersion {
  kind: 'entity' | 'relationship';
  syncId: number;
  object: Properties;
}

/** Every version of the objects with this `_key` (entity or relationship), oldest first. */
export async function historyOf(
  db: SqlConnection,
  key: string,
  instanceId?: string,
): Promise<ObjectVersion[]> {
  const versions: ObjectVersion[] = [];
  const where = instanceId ? 'key = ? AND instance_id = ?' : 'key = ?';
  const params = instanceId ? [storedString(key), instanceId] : [storedString(key)];
  for (const kind of OBJECT_KINDS) {
    const rows = await db.all<VersionRow>(
      `SELECT * FROM (${allVersions(kind, where)}) v ORDER BY v.instance_id, v.version`,
      [...params, ...params],
    );
    for (const row of rows) {
      versions.push({
        kind: kind.name,
        syncId: Number(row.sync_id),
        object: {
          _key: originalString(row.key),
          ...comparable(kind, row),
          ...metadataFromRow(row),
        },
      });
    }
  }
  return versions;
}
