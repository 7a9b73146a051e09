import type { Expression } from './ast.js';
import { evaluate, type LeafValues } from './evaluate.js';
import { parseQuery } from './parser.js';
import { planQuery, type Plan } from './plan.js';
import {
  entityResult,
  flatten,
  decodeJson,
  relationshipResult,
  type EntityResult,
  type ObjectRow,
  type QueryResult,
  type RelationshipResult,
  type TableRow,
  type TreeEdge,
} from './results.js';
import {
  compileQuery,
  entityColumns,
  expressionLeaf,
  leafKey,
  relationshipColumns,
  type CompiledQuery,
  type Leaf,
} from './sql/compile.js';
import type { DialectName } from './sql/dialect.js';
import { originalString } from '../store/stored-json.js';
import { metadataPropertyNames } from './sql/sources.js';
import type { ParameterValue } from './values.js';

/** What the engine needs from the store: the committed graph, read-only. */
export interface QueryableStore {
  readonly dialect: DialectName;
  /** On SQLite, `js_regexp(pattern, flags, text)` must exist (the store registers it at open). */
  read<T>(sql: string, params: unknown[]): Promise<T[]>;
}

export interface QueryOptions {
  params?: Record<string, ParameterValue>;
  includeDeleted?: boolean;
  /** Rows (list: starting entities) when the query has no LIMIT; JupiterOne's default is 250. */
  defaultLimit?: number;
  /** Restrict the starting entities to one instance. */
  instance?: string;
  /** What `date.now` means (epoch ms); defaults to the current time. */
  now?: number;
}

export const DEFAULT_LIMIT = 250;

/** Parses and plans without a database: what `query --check` runs on every line. */
export function checkQuery(text: string): void {
  const plan = planQuery(parseQuery(text));
  // Compiling resolves every alias and function; parameter values do not matter here.
  compileQuery(plan, {
    dialect: 'sqlite',
    values: { params: {}, now: 0, missingParameter: '' },
    includeDeleted: false,
    defaultLimit: DEFAULT_LIMIT,
  });
}

async function loadObjects(
  store: QueryableStore,
  kind: 'entity' | 'relationship',
  ids: string[],
): Promise<Map<string, EntityResult | RelationshipResult>> {
  const loaded = new Map<string, EntityResult | RelationshipResult>();
  const chunk = 500;
  for (let start = 0; start < ids.length; start += chunk) {
    const part = ids.slice(start, start + chunk);
    const placeholders = part
      .map((_, i) => (store.dialect === 'sqlite' ? '?' : `$${i + 1}`))
      .join(', ');
    const table = kind === 'entity' ? 'entities' : 'relationships';
    const columns = kind === 'entity' ? entityColumns('o') : relationshipColumns('o');
    const rows = await store.read<ObjectRow>(
      `SELECT ${columns} FROM ${table} o JOIN instances i ON i.id = o.instance_id WHERE o.id IN (${placeholders})`,
      part,
    );
    for (const row of rows)
      loaded.set(row.id, kind === 'entity' ? entityResult(row) : relationshipResult(row));
  }
  return loaded;
}

/** Key columns hold keys in the store's escaped form (store/stored-json.ts). */
const KEY_PROPERTIES = new Set(['_key', '_fromEntityKey', '_toEntityKey']);

function decodeLeaf(leaf: Leaf, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  if (leaf.kind === 'aggregate')
    return leaf.fn === 'COUNT' || typeof raw === 'string' ? Number(raw) : raw;
  if (leaf.kind === 'object') return raw;
  if (!metadataPropertyNames(leaf.objectKind).includes(leaf.property)) return decodeJson(raw);
  if (leaf.property === '_deleted') return Boolean(raw);
  if (leaf.property === '_class' && leaf.objectKind === 'entity') return decodeJson(raw);
  if (typeof raw === 'string' && KEY_PROPERTIES.has(leaf.property)) return originalString(raw);
  return typeof raw === 'string' && /^(_createdOn|_beginOn|_endOn|_version)$/.test(leaf.property)
    ? Number(raw)
    : raw;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

async function shapeTable(
  store: QueryableStore,
  plan: Plan,
  compiled: Extract<CompiledQuery, { mode: 'table' }>,
  rows: Record<string, unknown>[],
): Promise<TableRow[]> {
  const { leaves } = compiled;
  const objectIds = { entity: new Set<string>(), relationship: new Set<string>() };
  leaves.forEach((leaf, i) => {
    if (leaf.kind !== 'object') return;
    for (const row of rows) {
      const id = row[`c${i}`];
      if (typeof id === 'string') objectIds[leaf.objectKind].add(id);
    }
  });
  const objects = new Map([
    ...(await loadObjects(store, 'entity', [...objectIds.entity])),
    ...(await loadObjects(store, 'relationship', [...objectIds.relationship])),
  ]);
  const resolve = (expression: Expression) => expressionLeaf(plan, expression);
  let data = rows.map((row) => {
    const values: LeafValues = new Map();
    leaves.forEach((leaf, i) => {
      const raw = row[`c${i}`];
      values.set(
        leafKey(leaf),
        leaf.kind === 'object'
          ? typeof raw === 'string'
            ? (objects.get(raw) ?? null)
            : null
          : decodeLeaf(leaf, raw),
      );
    });
    const out: TableRow = {};
    for (const item of compiled.items) {
      if (item.expression.kind === 'allProperties') {
        const object = values.get(leafKey(resolve(item.expression)!)) as
          EntityResult | RelationshipResult | null;
        if (object)
          for (const [key, value] of Object.entries(flatten(object)))
            out[`${item.expression.alias}.${key}`] = value;
        continue;
      }
      out[item.column] = evaluate(item.expression, values, resolve);
    }
    return out;
  });
  const sort = compiled.sortAfter;
  if (sort) {
    data.sort((a, b) => (sort.descending ? -1 : 1) * compareValues(a[sort.column], b[sort.column]));
    data = data.slice(sort.skip, sort.skip + sort.limit);
  }
  return data;
}

async function shapeTree(
  store: QueryableStore,
  compiled: Extract<CompiledQuery, { mode: 'tree' }>,
  rows: Record<string, unknown>[],
): Promise<QueryResult> {
  const ids = (columns: string[]) =>
    [...new Set(rows.flatMap((row) => columns.map((c) => row[c])))].filter(
      (id): id is string => typeof id === 'string',
    );
  const vertices = [
    ...(await loadObjects(store, 'entity', ids(compiled.nodeColumns))).values(),
  ] as EntityResult[];
  const relationships = [
    ...(await loadObjects(store, 'relationship', ids(compiled.edgeColumns))).values(),
  ] as RelationshipResult[];
  const vertexId = new Map(
    vertices.map((v) => [
      `${String(v.entity._integrationInstanceId)}\n${String(v.entity._key)}`,
      v.id,
    ]),
  );
  const edges: TreeEdge[] = relationships.map((r) => {
    const instance = String(r.relationship._integrationInstanceId);
    return {
      ...r,
      fromVertexId: vertexId.get(`${instance}\n${String(r.relationship._fromEntityKey)}`) ?? '',
      toVertexId: vertexId.get(`${instance}\n${String(r.relationship._toEntityKey)}`) ?? '',
    };
  });
  return { type: 'tree', data: { vertices, edges } };
}

/** Runs one J1QL query on the store's committed graph. */
export async function runQuery(
  store: QueryableStore,
  text: string,
  options: QueryOptions = {},
): Promise<QueryResult> {
  const plan = planQuery(parseQuery(text));
  const compiled = compileQuery(plan, {
    dialect: store.dialect,
    values: { params: options.params ?? {}, now: options.now ?? Date.now() },
    includeDeleted: options.includeDeleted ?? false,
    defaultLimit: options.defaultLimit ?? DEFAULT_LIMIT,
    instance: options.instance,
  });
  const rows = await store.read<Record<string, unknown>>(compiled.sql, compiled.params);
  if (compiled.mode === 'list')
    return {
      type: 'list',
      data: rows.map((row) => entityResult(row as unknown as ObjectRow)),
    };
  if (compiled.mode === 'tree') return shapeTree(store, compiled, rows);
  return { type: 'table', data: await shapeTable(store, plan, compiled, rows) };
}
