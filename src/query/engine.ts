import { ReadBudgetError, type ReadOptions } from '../store/sql/read-budget.js';
import type { Expression } from './ast.js';
import { QueryBudgetError, QueryError, QueryExecutionError } from './errors.js';
import { decodeCursor, encodeCursor, resultIdentity } from './cursor.js';
import { evaluate, type LeafValues } from './evaluate.js';
import { parseQuery } from './parser.js';
import { planQuery, type Plan } from './plan.js';
import { unknownNameWarnings } from './unknown-names.js';
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
import type { ParameterValue } from './values.js';

/** What the engine needs from the store: the committed graph, read-only. */
export interface QueryableStore {
  readonly dialect: DialectName;
  /**
   * On SQLite, `js_regexp(pattern, flags, text)` and `dg_read_budget(x)` must exist (the store
   * registers them at open). With a budget the read is cancelled (ReadBudgetError) past it.
   */
  read<T>(sql: string, params: unknown[], budget?: ReadOptions): Promise<T[]>;
}

export interface QueryOptions {
  params?: Record<string, ParameterValue>;
  includeDeleted?: boolean;
  /** Rows (list: starting entities) of a page when the query has no LIMIT; JupiterOne's is 250. */
  defaultLimit?: number;
  /** Restrict the starting entities to one instance. */
  instance?: string;
  /** What `date.now` means (epoch ms); defaults to the current time. */
  now?: number;
  /** The next page of an earlier result of the same query (its `cursor`). */
  cursor?: string;
  /** Milliseconds each statement may run before it is cancelled. */
  timeoutMs?: number;
  /** Rows one statement may return (a LIMIT above it, or sorting more, is cancelled). */
  maxRows?: number;
}

export const DEFAULT_LIMIT = 250;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_ROWS = 100_000;

/** Parses and plans without a database: what `query --check` runs on every line. */
export function checkQuery(text: string): void {
  const plan = planQuery(parseQuery(text));
  // Compiling resolves every alias and function; parameter values do not matter here.
  compileQuery(plan, {
    dialect: 'sqlite',
    // A stand-in with letters, so a placeholder search term (FIND "{{host}}") checks as valid.
    values: { params: {}, now: 0, missingParameter: 'placeholder' },
    includeDeleted: false,
    window: { skip: 0, rows: DEFAULT_LIMIT },
    maxRows: DEFAULT_MAX_ROWS,
  });
}

async function loadObjects(
  store: QueryableStore,
  kind: 'entity' | 'relationship',
  ids: string[],
  budget: ReadOptions,
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
      budget,
    );
    for (const row of rows)
      loaded.set(row.id, kind === 'entity' ? entityResult(row) : relationshipResult(row));
  }
  return loaded;
}

function decodeLeaf(leaf: Leaf, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  if (leaf.kind === 'aggregate')
    return leaf.fn === 'COUNT' || typeof raw === 'string' ? Number(raw) : raw;
  if (leaf.kind === 'object') return raw;
  // Every returned value is JSON (metadata columns too), so one decoding fits all.
  return decodeJson(raw);
}

/** Like the SQL sort (dialect sortKeys): numbers, strings, booleans, then the rest by JSON. */
function sortRank(value: unknown): number {
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  if (typeof value === 'boolean') return 3;
  return Array.isArray(value) ? 4 : 5;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
  if (b === null || b === undefined) return -1;
  const rank = sortRank(a) - sortRank(b);
  if (rank !== 0) return rank;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const [x, y] = typeof a === 'string' ? [a, b as string] : [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

async function shapeTable(
  store: QueryableStore,
  plan: Plan,
  compiled: Extract<CompiledQuery, { mode: 'table' }>,
  rows: Record<string, unknown>[],
  budget: ReadOptions,
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
    ...(await loadObjects(store, 'entity', [...objectIds.entity], budget)),
    ...(await loadObjects(store, 'relationship', [...objectIds.relationship], budget)),
  ]);
  const resolve = (expression: Expression) => expressionLeaf(plan, expression);
  const data = rows.map((row) => {
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
  // Array.prototype.sort is stable: ties keep the statement's total order.
  if (sort)
    data.sort((a, b) => (sort.descending ? -1 : 1) * compareValues(a[sort.column], b[sort.column]));
  return data;
}

async function shapeTree(
  store: QueryableStore,
  compiled: Extract<CompiledQuery, { mode: 'tree' }>,
  rows: Record<string, unknown>[],
  budget: ReadOptions,
): Promise<QueryResult> {
  const ids = (columns: string[]) =>
    [...new Set(rows.flatMap((row) => columns.map((c) => row[c])))].filter(
      (id): id is string => typeof id === 'string',
    );
  // Vertices and edges in the order the (ordered) paths first reach them.
  const load = async (kind: 'entity' | 'relationship', columns: string[]) => {
    const wanted = ids(columns);
    const loaded = await loadObjects(store, kind, wanted, budget);
    return wanted.flatMap((id) => {
      const object = loaded.get(id);
      return object ? [object] : [];
    });
  };
  const vertices = (await load('entity', compiled.nodeColumns)) as EntityResult[];
  const relationships = (await load('relationship', compiled.edgeColumns)) as RelationshipResult[];
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

/**
 * What a cursor of this query is bound to: the same for the CLI and the HTTP API, so a cursor
 * from one pages through the other.
 */
export function queryIdentity(
  text: string,
  options: Pick<QueryOptions, 'params' | 'includeDeleted' | 'instance'>,
): string {
  return resultIdentity({
    query: text,
    params: options.params ?? {},
    includeDeleted: options.includeDeleted ?? false,
    instance: options.instance,
  });
}

/** Any failure past parsing, in J1QL's terms: a driver's text describes SQL, never shown. */
function queryErrorOf(err: unknown, budget: ReadOptions): QueryError {
  if (err instanceof QueryError) return err;
  if (err instanceof ReadBudgetError)
    return new QueryBudgetError(
      'time',
      `the query ran longer than its time budget of ${budget.timeoutMs} ms and was cancelled`,
    );
  const code = (err as { code?: unknown } | undefined)?.code;
  return new QueryExecutionError(typeof code === 'string' ? code : undefined);
}

/**
 * Runs one J1QL query on the store's committed graph. Every result has one total order (the
 * written ORDER BY, then values, then _key), the same on every backend; a page cut short of the
 * whole answer says `truncated` and carries the `cursor` of the next page. The first page warns
 * of names the store has never seen (`warnings`).
 */
export async function runQuery(
  store: QueryableStore,
  text: string,
  options: QueryOptions = {},
): Promise<QueryResult> {
  const budget: ReadOptions = { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  try {
    const plan = planQuery(parseQuery(text));
    const result = await pageOf(store, plan, text, options, budget);
    // A later page: the first one carried the warnings.
    if (options.cursor !== undefined) return result;
    const empty = (result.type === 'tree' ? result.data.vertices : result.data).length === 0;
    const warnings = await unknownNameWarnings(store, plan.query, empty, budget);
    return warnings.length > 0 ? { ...result, warnings } : result;
  } catch (err) {
    throw queryErrorOf(err, budget);
  }
}

async function pageOf(
  store: QueryableStore,
  plan: Plan,
  text: string,
  options: QueryOptions,
  budget: ReadOptions,
): Promise<QueryResult> {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const identity = queryIdentity(text, options);
  const offset = decodeCursor(options.cursor, identity);
  const explicitLimit = plan.query.limit !== undefined;
  const pageSize = plan.query.limit ?? options.defaultLimit ?? DEFAULT_LIMIT;
  const skip = (plan.query.skip ?? 0) + offset;
  // One row past the page says whether more follow.
  const wanted = Math.min(pageSize, maxRows) + 1;
  const compiled = compileQuery(plan, {
    dialect: store.dialect,
    values: { params: options.params ?? {}, now: options.now ?? Date.now() },
    includeDeleted: options.includeDeleted ?? false,
    window: { skip, rows: wanted },
    maxRows,
    instance: options.instance,
  });
  // With traversals the compiler writes the join order (most constrained node first, then
  // along the chain); a single node's index choice is best left to the database.
  const rows = await store.read<Record<string, unknown>>(compiled.sql, compiled.params, {
    ...budget,
    writtenJoinOrder: plan.variants.some((variant) => variant.hops.length > 0),
  });
  const overBudget = () =>
    new QueryBudgetError(
      'rows',
      `the query returns more than its row budget of ${maxRows} rows: lower LIMIT or use pages`,
    );
  const sortedLater = compiled.mode === 'table' && compiled.sortAfter !== undefined;
  if (rows.length > maxRows) throw overBudget();
  const page = <T>(all: T[]): { items: T[]; more: boolean } => {
    const from = sortedLater ? skip : 0;
    const items = all.slice(from, from + pageSize);
    return { items, more: all.length > from + pageSize };
  };
  const finish = <R extends QueryResult>(result: R, more: boolean): R => {
    if (!more || explicitLimit) return result;
    if (pageSize >= maxRows) throw overBudget();
    return {
      ...result,
      truncated: true,
      cursor: encodeCursor(identity, offset + pageSize),
    };
  };
  if (compiled.mode === 'list') {
    const { items, more } = page(rows);
    return finish(
      {
        type: 'list',
        data: items.map((row) => entityResult(row as unknown as ObjectRow)),
      },
      more,
    );
  }
  if (compiled.mode === 'tree') {
    const { items, more } = page(rows);
    return finish(await shapeTree(store, compiled, items, budget), more);
  }
  const data = await shapeTable(
    store,
    plan,
    compiled,
    sortedLater ? rows : rows.slice(0, pageSize + 1),
    budget,
  );
  const { items, more } = page(data);
  return finish({ type: 'table', data: items }, more);
}
