import { hash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import stableStringify from 'fast-json-stable-stringify';
import { fromStoredJson, originalString, storedString, toStoredJson } from './stored-json.js';
import type {
  Entity,
  GraphRelationship,
  PropertyValue,
  RawDataEntry,
  Relationship,
  RelationshipMapping,
} from '../graph/types.js';

/** Metadata the store assigns; never kept inside the properties column. */
export const METADATA_FIELDS = [
  '_id',
  '_version',
  '_createdOn',
  '_beginOn',
  '_endOn',
  '_deleted',
  '_source',
  '_integrationInstanceId',
] as const;

const ENTITY_COLUMNS = new Set<string>(['_key', '_type', '_class', '_rawData', ...METADATA_FIELDS]);
const RELATIONSHIP_COLUMNS = new Set<string>([
  ...ENTITY_COLUMNS,
  '_fromEntityKey',
  '_toEntityKey',
  '_mapping',
]);

export type Properties = Record<string, PropertyValue>;

function propertiesOf(object: Record<string, unknown>, columns: Set<string>): Properties {
  const properties: Properties = {};
  for (const [name, value] of Object.entries(object)) {
    if (!columns.has(name) && value !== undefined) properties[name] = value as PropertyValue;
  }
  return properties;
}

/** One-shot hashing: a third of the cost of a Hash object for the small texts hashed per object. */
function hashOf(value: unknown): string {
  return hash('sha256', stableStringify(value), 'base64url');
}

export function compressRaw(raw: RawDataEntry[] | undefined): Buffer | null {
  return raw && raw.length > 0 ? gzipSync(JSON.stringify(raw)) : null;
}

export function decompressRaw(raw: Buffer | Uint8Array | null): RawDataEntry[] | undefined {
  return raw ? (JSON.parse(gunzipSync(raw).toString('utf8')) as RawDataEntry[]) : undefined;
}

/** A JSON column's value (both drivers hand JSON columns over as text). */
export const parseJson = fromStoredJson;

export interface StagedEntityRow {
  key: string;
  type: string;
  classes: string;
  properties: string;
  raw: Buffer | null;
  hash: string;
}

/** Change detection covers what a user sees (type, classes, properties), never raw-data noise. */
export function toStagedEntity(entity: Entity): StagedEntityRow {
  const properties = propertiesOf(entity, ENTITY_COLUMNS);
  const classes = Array.isArray(entity._class) ? entity._class : [entity._class];
  return {
    key: storedString(entity._key),
    type: entity._type,
    classes: toStoredJson(classes),
    properties: toStoredJson(properties),
    raw: compressRaw(entity._rawData),
    hash: entityHash(entity._type, classes, properties),
  };
}

export function entityHash(type: string, classes: string[], properties: Properties): string {
  return hashOf({ type, classes, properties });
}

export interface StagedRelationshipRow {
  key: string;
  type: string;
  class: string;
  fromKey: string | null;
  toKey: string | null;
  mapping: string | null;
  properties: string;
  raw: Buffer | null;
  hash: string;
}

export function relationshipHash(
  type: string,
  verb: string,
  fromKey: string,
  toKey: string,
  properties: Properties,
): string {
  return hashOf({ type, class: verb, fromKey, toKey, properties });
}

export function toStagedRelationship(relationship: GraphRelationship): StagedRelationshipRow {
  const properties = propertiesOf(relationship, RELATIONSHIP_COLUMNS);
  const mapping = '_mapping' in relationship ? relationship._mapping : undefined;
  const direct = mapping ? undefined : (relationship as Relationship);
  const fromKey = direct?._fromEntityKey ?? null;
  const toKey = direct?._toEntityKey ?? null;
  return {
    key: storedString(relationship._key),
    type: relationship._type,
    class: relationship._class,
    fromKey: fromKey === null ? null : storedString(fromKey),
    toKey: toKey === null ? null : storedString(toKey),
    mapping: mapping ? toStoredJson(mapping) : null,
    properties: toStoredJson(properties),
    raw: compressRaw(direct?._rawData as RawDataEntry[] | undefined),
    // Mapped rows are hashed again once their endpoints are resolved at commit.
    hash: relationshipHash(
      relationship._type,
      relationship._class,
      fromKey ?? '',
      toKey ?? '',
      properties,
    ),
  };
}

/** A stored row as the SDK object: columns back to `_`-fields, properties spread. */
export interface EntityRow {
  key: string;
  type: string;
  classes: unknown;
  properties: unknown;
  raw?: Buffer | null;
}

export function entityFromRow(row: EntityRow): Entity {
  const entity: Entity = {
    _key: originalString(row.key),
    _type: row.type,
    _class: parseJson<string[]>(row.classes),
    ...parseJson<Properties>(row.properties),
  };
  const raw = decompressRaw(row.raw ?? null);
  if (raw) entity._rawData = raw;
  return entity;
}

export interface RelationshipRow {
  key: string;
  type: string;
  class: string;
  from_key: string | null;
  to_key: string | null;
  mapping?: unknown;
  properties: unknown;
  raw?: Buffer | null;
}

export function relationshipFromRow(row: RelationshipRow): GraphRelationship {
  const properties = parseJson<Properties>(row.properties);
  const mapping = row.mapping ? parseJson<RelationshipMapping>(row.mapping) : undefined;
  if (mapping && row.from_key === null)
    return {
      _key: originalString(row.key),
      _type: row.type,
      _class: row.class,
      _mapping: mapping,
      ...properties,
    };
  const relationship: Relationship = {
    _key: originalString(row.key),
    _type: row.type,
    _class: row.class,
    _fromEntityKey: originalString(row.from_key ?? ''),
    _toEntityKey: originalString(row.to_key ?? ''),
    ...properties,
  };
  const raw = decompressRaw(row.raw ?? null);
  if (raw) relationship._rawData = raw;
  return relationship;
}

/** The JupiterOne metadata of a committed row, as `_`-fields. */
/** Numbers may arrive as strings: pg returns bigint columns as text. */
export interface MetadataRow {
  id: string;
  version: number | string;
  created_on: number | string;
  begin_on: number | string;
  end_on: number | string | null;
  deleted: boolean | number;
  source: string;
  instance_id: string;
}

export function metadataFromRow(row: MetadataRow): Properties {
  const metadata: Properties = {
    _id: row.id,
    _version: Number(row.version),
    _createdOn: Number(row.created_on),
    _beginOn: Number(row.begin_on),
    _deleted: Boolean(row.deleted),
    _source: row.source,
    _integrationInstanceId: row.instance_id,
  };
  if (row.end_on !== null) metadata._endOn = Number(row.end_on);
  return metadata;
}
