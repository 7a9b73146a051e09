import { stringify } from 'csv-stringify/sync';
import { metadataFromRow } from '../store/rows.js';
import { fromStoredJson, originalString } from '../store/stored-json.js';
import { neutraliseFormula } from '../util/csv-cell.js';

/** JupiterOne's result item for an entity (and, with `relationship`, for an edge). */
export interface EntityResult {
  id: string;
  entity: Record<string, unknown>;
  properties: Record<string, unknown>;
}

export interface RelationshipResult {
  id: string;
  relationship: Record<string, unknown>;
  properties: Record<string, unknown>;
}

export interface TreeEdge extends RelationshipResult {
  fromVertexId: string;
  toVertexId: string;
}

export type TableRow = Record<string, unknown>;

/** Set when the page stops short of the whole answer: `cursor` asks for the next page. */
export interface Paging {
  truncated?: true;
  cursor?: string;
  /** Names the store has never seen (a misspelt type, class or property), with the closest known. */
  warnings?: string[];
}

export type QueryResult = Paging &
  (
    | { type: 'list'; data: EntityResult[] }
    | { type: 'table'; data: TableRow[] }
    | { type: 'tree'; data: { vertices: EntityResult[]; edges: TreeEdge[] } }
  );

/** A row of the entities/relationships table as the compiler selects it. */
export interface ObjectRow {
  id: string;
  key: string;
  type: string;
  properties: unknown;
  version: number | string;
  created_on: number | string;
  begin_on: number | string;
  end_on: number | string | null;
  deleted: number | boolean;
  source: string;
  instance_id: string;
  instance_name: string;
  classes?: unknown;
  class?: string;
  from_key?: string;
  to_key?: string;
}

/** Both drivers hand JSON back as text, in the store's escaped form. */
export function decodeJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return fromStoredJson(value);
}

function metadata(row: ObjectRow): Record<string, unknown> {
  return {
    _key: originalString(row.key),
    _type: row.type,
    ...metadataFromRow(row),
    _integrationName: row.instance_name,
  };
}

/**
 * Properties in code-point order of their names: the stores keep different key orders (jsonb
 * sorts by length), and `alias.*` columns and JSON output must not depend on the backend.
 */
function sortedProperties(raw: unknown): Record<string, unknown> {
  const properties = decodeJson(raw) as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(properties)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((key) => [key, properties[key]]),
  );
}

export function entityResult(row: ObjectRow): EntityResult {
  const properties = sortedProperties(row.properties);
  const entity: Record<string, unknown> = {
    ...metadata(row),
    _class: decodeJson(row.classes),
  };
  if (properties.displayName !== undefined) entity.displayName = properties.displayName;
  return { id: row.id, entity, properties };
}

export function relationshipResult(row: ObjectRow): RelationshipResult {
  const properties = sortedProperties(row.properties);
  const relationship: Record<string, unknown> = {
    ...metadata(row),
    _class: row.class,
    _fromEntityKey: originalString(row.from_key ?? ''),
    _toEntityKey: originalString(row.to_key ?? ''),
  };
  if (properties.displayName !== undefined) relationship.displayName = properties.displayName;
  return { id: row.id, relationship, properties };
}

/** `alias.*`: metadata and properties flattened into one object. */
export function flatten(result: EntityResult | RelationshipResult): Record<string, unknown> {
  const meta = 'entity' in result ? result.entity : result.relationship;
  return { ...meta, ...result.properties };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return neutraliseFormula(value);
  if (typeof value === 'object') return neutraliseFormula(JSON.stringify(value));
  return String(value);
}

/** CSV of a list (one entity per line, metadata and properties as columns) or a table. */
export function toCsv(result: QueryResult): string {
  if (result.type === 'tree')
    throw new Error('a RETURN TREE result has no CSV form: use --format json');
  const rows: Record<string, unknown>[] =
    result.type === 'list' ? result.data.map(flatten) : result.data;
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows)
    for (const key of Object.keys(row))
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
  return stringify(
    rows.map((row) => columns.map((c) => csvCell(row[c]))),
    { header: true, columns },
  );
}
