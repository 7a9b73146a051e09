import type { Direction, Expression, Filter, OrderKey, PropertyRef, ReturnItem } from '../ast.js';
import { NotSupportedError, QueryValidationError } from '../errors.js';
import {
  requireAlias,
  type Hop,
  type NodeSpec,
  type PlainSelector,
  type Plan,
  type Variant,
} from '../plan.js';
import type { Value } from '../ast.js';
import { searchWords } from '../../store/search-index.js';
import { jsonSql } from '../../store/sql/json.js';
import { parameterValue, resolveValue, type ValueContext } from '../values.js';
import { dialectFor, Params, type Dialect, type DialectName, type ValueSource } from './dialect.js';
import { compileFilter, join } from './filters.js';
import { propertySource, type ObjectKind } from './sources.js';

export interface CompileOptions {
  dialect: DialectName;
  values: ValueContext;
  includeDeleted: boolean;
  /**
   * The rows (list results: starting entities; trees: paths) the statement returns: `skip` past
   * the query's SKIP and earlier pages, at most `rows`. The engine asks one row more than it
   * shows, to know whether more follow.
   */
  window: { skip: number; rows: number };
  /** Rows a statement sorted after evaluation (ORDER BY a computed column) may return. */
  maxRows: number;
  /** Restrict the starting entities to one instance (by name). */
  instance?: string;
}

const OBJECT_COLUMNS = [
  'id',
  'key',
  'type',
  'properties',
  'version',
  'created_on',
  'begin_on',
  'end_on',
  'deleted',
  'source',
  'instance_id',
];

/** The columns results are shaped from; `i` is the joined instances row. */
export function entityColumns(table: string): string {
  return [...OBJECT_COLUMNS, 'classes']
    .map((c) => `${table}.${c}`)
    .concat('i.name AS instance_name')
    .join(', ');
}

export function relationshipColumns(table: string): string {
  return [...OBJECT_COLUMNS, 'class', 'from_key', 'to_key']
    .map((c) => `${table}.${c}`)
    .concat('i.name AS instance_name')
    .join(', ');
}

export const AGGREGATES = new Set(['COUNT', 'MIN', 'MAX', 'AVG', 'SUM']);
export const SCALAR_FUNCTIONS = new Set([
  'CONCAT',
  'MERGE',
  'COALESCE',
  'ABS',
  'SQRT',
  'CEIL',
  'FLOOR',
  'ROUND',
]);

/** A value the SQL returns per row; RETURN expressions are evaluated over these. */
export type Leaf =
  | { kind: 'value'; alias: string; property: string; objectKind: ObjectKind }
  | { kind: 'object'; alias: string; objectKind: ObjectKind }
  | { kind: 'aggregate'; fn: string; alias: string; property?: string };

export function leafKey(leaf: Leaf): string {
  return leaf.kind === 'aggregate'
    ? `${leaf.fn}(${leaf.alias}${leaf.property === undefined ? '' : `.${leaf.property}`})`
    : leaf.kind === 'value'
      ? `${leaf.alias}.${leaf.property}`
      : leaf.alias;
}

export type CompiledQuery =
  | { mode: 'list'; sql: string; params: unknown[] }
  | {
      mode: 'table';
      sql: string;
      params: unknown[];
      leaves: Leaf[];
      items: ReturnItem[];
      /** Set when ORDER BY names a computed column: sort, then take the window, after evaluation. */
      sortAfter?: { column: string; descending: boolean };
    }
  | {
      mode: 'tree';
      sql: string;
      params: unknown[];
      nodeColumns: string[];
      edgeColumns: string[];
    };

class Compiler {
  readonly dialect: Dialect;
  readonly params: Params;

  constructor(
    readonly plan: Plan,
    readonly options: CompileOptions,
  ) {
    this.dialect = dialectFor(options.dialect);
    this.params = new Params(options.dialect);
  }

  /** Per row of the join's innermost table (SQLite), so a runaway join stops on time. */
  private budgetCheck(table: string): string[] {
    const check = this.dialect.budgetCheck(table);
    return check === undefined ? [] : [check];
  }

  private notDeleted(table: string): string[] {
    return this.options.includeDeleted ? [] : [`${table}.deleted = ${this.dialect.falseFlag}`];
  }

  private selectorNames(
    selector: PlainSelector,
  ): { classes: string[]; types: string[] } | undefined {
    if (selector.kind === 'any') return undefined;
    if (selector.kind === 'names') {
      return {
        classes: selector.names.filter((n) => n.kind === 'class').map((n) => n.value),
        types: selector.names.filter((n) => n.kind === 'type').map((n) => n.value),
      };
    }
    // `{{type}}`: the value names classes (upper-case first character) or types.
    const value = parameterValue(selector.name, this.options.values);
    const names = (Array.isArray(value) ? value : [value]).map(String);
    return {
      classes: names.filter((n) => /^[A-Z]/.test(n)),
      types: names.filter((n) => !/^[A-Z]/.test(n)),
    };
  }

  private list(values: string[]): string {
    return values.map((v) => this.params.add(v)).join(', ');
  }

  /** `drive`: the root table, where an IN over entity_classes lets the class index drive. */
  private nodeConditions(node: NodeSpec, table: string, drive: boolean): string[] {
    const conditions = this.notDeleted(table);
    const names = this.selectorNames(node.selector);
    if (names) {
      const parts: string[] = [];
      // Off the root the row is read anyway (its `deleted`): its own classes column answers
      // without an index lookup per path, element by element as entity_classes is derived.
      if (names.classes.length > 0)
        parts.push(
          drive
            ? `(${table}.instance_id, ${table}.key) IN (SELECT instance_id, key FROM entity_classes WHERE class IN (${this.list(names.classes)}))`
            : `EXISTS (SELECT 1 FROM ${jsonSql(this.dialect.name).arrayElements(`${table}.classes`)} WHERE j.value IN (${this.list(names.classes)}))`,
        );
      if (names.types.length > 0) {
        const type = drive ? `${table}.type` : this.dialect.notIndexed(`${table}.type`);
        parts.push(`${type} IN (${this.list(names.types)})`);
      }
      conditions.push(parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`);
    }
    if (node.search) conditions.push(this.searchCondition(node.search, table));
    if (node.filter) conditions.push(this.withFilter(node.filter, table, 'entity'));
    return conditions;
  }

  /** Entities whose indexed words include every word of the term (of any term, for a list). */
  private searchCondition(search: Value, table: string): string {
    const terms = resolveValue(search, this.options.values).map((literal) =>
      literal.kind === 'string' || literal.kind === 'number' ? String(literal.value) : '',
    );
    const words = terms.map(searchWords);
    if (words.some((w) => w.length === 0))
      throw new QueryValidationError(
        `full-text search for ${JSON.stringify(terms.join(' '))}: the term has no letters or digits`,
      );
    return join(
      words.map((w) => this.dialect.searchMatch(table, w, this.params)),
      'or',
    );
  }

  private withFilter(filter: Filter, table: string, kind: ObjectKind): string {
    return compileFilter(filter, {
      dialect: this.dialect,
      params: this.params,
      values: this.options.values,
      propertyOnRight: false,
      source: (ref) =>
        propertySource(this.dialect, this.params, table, kind, ref.segments.join('.')),
    });
  }

  /** The relationship of `hop` between the chain's `left` and `right` entity rows. */
  private edgeConditions(hop: Hop, left: string, right: string): string[] {
    const r = `r${hop.edge.id}`;
    const verbs = hop.edge.verbs
      ? [`${this.dialect.notIndexed(`${r}.class`)} IN (${this.list(hop.edge.verbs)})`]
      : [];
    return [
      `${r}.instance_id = ${left}.instance_id`,
      `${right}.instance_id = ${r}.instance_id`,
      edgeEnds(left, right, r, hop.edge.direction),
      ...(hop.loopFree ? [`${r}.from_key <> ${r}.to_key`] : []),
      ...this.notDeleted(r),
      ...verbs,
    ];
  }

  /**
   * CROSS JOIN: SQLite keeps the written order, and so does PostgreSQL when the read sets
   * join_collapse_limit = 1 (ReadOptions.writtenJoinOrder).
   */
  private joinTables(tables: string[]): string {
    return tables.join(' CROSS JOIN ');
  }

  /**
   * NOT EXISTS over a negated hop and the hops after it (§9.5 of the reference): one NOT EXISTS
   * per direction of its two-way hops, so each follows an index.
   */
  private negation(from: string, hops: Hop[]): string {
    // A further negated hop starts its own NOT EXISTS: expand directions only up to it.
    const next = hops.findIndex((hop, i) => i > 0 && hop.negated);
    const head = next < 0 ? hops : hops.slice(0, next);
    const tail = next < 0 ? [] : hops.slice(next);
    return directedChains(head)
      .map((chain) => this.negatedChain(from, [...chain, ...tail]))
      .join(' AND ');
  }

  private negatedChain(from: string, hops: Hop[]): string {
    const tables: string[] = [];
    const conditions: string[] = [];
    let current = from;
    for (let i = 0; i < hops.length; i++) {
      const hop = hops[i]!;
      if (i > 0 && hop.negated) {
        conditions.push(this.negation(current, hops.slice(i)));
        break;
      }
      const n = `n${hop.node.id}`;
      tables.push(`relationships r${hop.edge.id}`, `entities ${n}`);
      conditions.push(
        ...this.edgeConditions(hop, current, n),
        ...this.nodeConditions(hop.node, n, false),
      );
      current = n;
    }
    conditions.push(...this.budgetCheck(current));
    return `NOT EXISTS (SELECT 1 FROM ${this.joinTables(tables)} WHERE ${conditions.join(' AND ')})`;
  }

  /**
   * FROM … WHERE … of one variant's paths. The join starts at the most constrained node (a WITH
   * filter, then a class or type) and walks out along the chain, as J1QL applies WITH first;
   * the symmetric edge test lets either end of a relationship be the one already bound.
   */
  variantBody(variant: Variant): string {
    const nodes = [this.plan.root, ...variant.hops.map((h) => h.node)];
    const whereFiltered = this.whereFilteredNodes(variant);
    const score = (node: NodeSpec) =>
      (node.search ? 4 : 0) +
      (node.filter || whereFiltered.has(node) ? 2 : 0) +
      (node.selector.kind === 'any' ? 0 : 1);
    const anchor = nodes.reduce(
      (best, node, i) => (score(node) > score(nodes[best]!) ? i : best),
      0,
    );
    const table = (i: number) => `n${nodes[i]!.id}`;
    const start = this.anchorTables(nodes[anchor]!, table(anchor));
    const tables = start.tables;
    const conditions = start.conditions;
    let innermost = table(anchor);
    // Hop i joins nodes i-1 (left) and i (right); walk left of the anchor, then right of it.
    const join = (hopIndex: number, reached: number) => {
      const hop = variant.hops[hopIndex - 1]!;
      tables.push(`relationships r${hop.edge.id}`, `entities ${table(reached)}`);
      conditions.push(
        ...this.edgeConditions(hop, table(hopIndex - 1), table(hopIndex)),
        ...this.nodeConditions(nodes[reached]!, table(reached), false),
      );
      innermost = table(reached);
    };
    for (let i = anchor; i > 0; i--) join(i, i - 1);
    for (let i = anchor + 1; i < nodes.length; i++) join(i, i);
    conditions.push(...this.budgetCheck(innermost));
    if (this.options.instance !== undefined)
      conditions.push(
        `n0.instance_id = (SELECT id FROM instances WHERE name = ${this.params.add(this.options.instance)})`,
      );
    for (const negation of variant.negations)
      conditions.push(this.negation(`n${negation.from.id}`, negation.hops));
    const where = this.plan.query.where;
    if (where) conditions.push(this.whereFilter(where, variant));
    return `FROM ${this.joinTables(tables)}${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}`;
  }

  /**
   * Nodes a top-level WHERE conjunct compares with a value (`WHERE f.name = 'x' AND …`): as
   * constraining as a WITH on them, so the join can start there. The conjunct stays in WHERE;
   * both databases test it as soon as that node's row is joined.
   */
  private whereFilteredNodes(variant: Variant): Set<NodeSpec> {
    const where = this.plan.query.where;
    const conjuncts = !where ? [] : where.kind === 'and' ? where.operands : [where];
    const nodes = new Set<NodeSpec>();
    for (const conjunct of conjuncts) {
      if (conjunct.kind !== 'compare' || conjunct.right.kind === 'property') continue;
      const target = variant.aliases.get(conjunct.left.segments[0]!);
      if (target?.kind === 'entity' && conjunct.left.segments.length > 1) nodes.add(target.node);
    }
    return nodes;
  }

  private whereFilter(filter: Filter, variant: Variant): string {
    return compileFilter(filter, {
      dialect: this.dialect,
      params: this.params,
      values: this.options.values,
      propertyOnRight: true,
      source: (ref) => this.aliasedSource(ref, variant),
    });
  }

  /** `alias.property` in one variant: absent when the variant does not bind the alias. */
  aliasedSource(ref: PropertyRef, variant: Variant): ValueSource {
    if (ref.segments.length < 2)
      throw new QueryValidationError(
        `${ref.segments.join('.')}: WHERE, RETURN and ORDER BY need alias.property`,
        ref.position.line,
        ref.position.column,
      );
    const alias = requireAlias(this.plan, ref.segments[0]!, ref.position.line, ref.position.column);
    return this.sourceOf(alias, ref.segments.slice(1).join('.'), variant);
  }

  sourceOf(alias: string, property: string, variant: Variant): ValueSource {
    const target = variant.aliases.get(alias);
    if (!target) return this.dialect.absentSource();
    return target.kind === 'entity'
      ? propertySource(this.dialect, this.params, `n${target.node.id}`, 'entity', property)
      : propertySource(this.dialect, this.params, `r${target.edge.id}`, 'relationship', property);
  }

  /**
   * Every path row is a different entity of `alias`: one variant without traversals, the alias
   * its starting entities. COUNT(alias) then counts rows, without a DISTINCT (a sort per group).
   */
  rowPerEntity(alias: string): boolean {
    const [variant, ...others] = this.plan.variants;
    const target = variant?.aliases.get(alias);
    return (
      others.length === 0 &&
      variant!.hops.length === 0 &&
      target?.kind === 'entity' &&
      target.node === this.plan.root
    );
  }

  objectId(alias: string, variant: Variant): string {
    return this.objectColumn(alias, variant, 'id');
  }

  objectColumn(alias: string, variant: Variant, column: 'id' | 'key'): string {
    const target = variant.aliases.get(alias);
    if (!target) return this.dialect.nullOf('text');
    return target.kind === 'entity'
      ? `n${target.node.id}.${column}`
      : `r${target.edge.id}.${column}`;
  }

  limit(): string {
    const { skip, rows } = this.options.window;
    return ` LIMIT ${this.params.add(rows)} OFFSET ${this.params.add(skip)}`;
  }

  /** ORDER BY terms of one sort key: its three sort columns (dialect.sortKeys), nulls last. */
  sortTerms(columns: string[], descending: boolean): string[] {
    const direction = this.dialect.nullsLast(descending ? 'DESC' : 'ASC');
    return columns.map((column) => `${column} ${direction}`);
  }

  /** Every node and edge position of the plan: a path's identity, in chain order. */
  pathPositions(): { nodes: number[]; edges: number[] } {
    const hops = this.plan.variants.flatMap((v) => v.hops);
    return {
      nodes: [this.plan.root.id, ...new Set(hops.map((h) => h.node.id))],
      edges: [...new Set(hops.map((h) => h.edge.id))],
    };
  }

  /**
   * The path's objects as `v{n}`/`e{n}` (ids) and `kv{n}`/`ke{n}` (keys) columns; NULL where the
   * variant does not reach that position. Keys give paths the same order on every database.
   */
  pathColumns(variant: Variant, withIds: boolean): string[] {
    const { nodes, edges } = this.pathPositions();
    const bound = new Set(variant.hops.map((h) => h.node.id));
    const column = (table: string, name: string, reached: boolean, as: string) =>
      `${reached ? `${table}.${name}` : this.dialect.nullOf('text')} AS ${as}`;
    // Between two nodes an edge is told apart by its class, which the walk indexes cover; only
    // a tree, which loads relationships anyway, reads their keys.
    return [
      ...nodes.map((id) => column(`n${id}`, 'key', id === 0 || bound.has(id), `kv${id}`)),
      ...edges.map((id) => column(`r${id}`, withIds ? 'key' : 'class', bound.has(id), `ke${id}`)),
      ...nodes.map((id) => column(`n${id}`, 'id', id === 0 || bound.has(id), `v${id}`)),
      ...(withIds ? edges.map((id) => column(`r${id}`, 'id', bound.has(id), `e${id}`)) : []),
    ];
  }

  /** The path order: keys, then ids (unique within one database). */
  pathOrder(withIds: boolean): string[] {
    const { nodes, edges } = this.pathPositions();
    return [
      ...nodes.map((id) => `kv${id}`),
      ...edges.map((id) => `ke${id}`),
      ...nodes.map((id) => `v${id}`),
      ...(withIds ? edges.map((id) => `e${id}`) : []),
    ];
  }

  finish(sql: string): { sql: string; params: unknown[] } {
    const shared = [...this.anchorSets.values()];
    return this.params.finish(shared.length > 0 ? `WITH ${shared.join(', ')} ${sql}` : sql);
  }

  /** Filtered starting sets that several variants share, computed once. */
  private readonly anchorSets = new Map<number, string>();

  /**
   * The anchor node's rows. With several variants (two-way hops, optional groups) its WITH filter
   * would run once per variant; a materialised CTE runs it once.
   */
  private anchorTables(node: NodeSpec, table: string): { tables: string[]; conditions: string[] } {
    if (this.plan.variants.length < 2 || !node.filter)
      return { tables: [`entities ${table}`], conditions: this.nodeConditions(node, table, true) };
    const name = `anchor${node.id}`;
    if (!this.anchorSets.has(node.id)) {
      const filter = this.nodeConditions(node, table, true).join(' AND ');
      this.anchorSets.set(
        node.id,
        `${name} AS MATERIALIZED (SELECT ${table}.instance_id, ${table}.key FROM entities ${table} WHERE ${filter})`,
      );
    }
    return {
      tables: [name, `entities ${table}`],
      conditions: [`${table}.instance_id = ${name}.instance_id`, `${table}.key = ${name}.key`],
    };
  }
}

/** `left` and `right` in chain order: `>>` is left → right, `<<` right → left, else either. */
function edgeEnds(left: string, right: string, r: string, direction: Direction): string {
  const forward = `${r}.from_key = ${left}.key AND ${r}.to_key = ${right}.key`;
  const backward = `${r}.to_key = ${left}.key AND ${r}.from_key = ${right}.key`;
  if (direction === 'out') return forward;
  if (direction === 'in') return backward;
  return `((${forward}) OR (${backward}))`;
}

function compileList(c: Compiler): CompiledQuery {
  const { plan } = c;
  const single = plan.variants.length === 1 && plan.variants[0]!.hops.length === 0;
  // Without traversal the starting entities are selected directly (as n0).
  const table = single ? 'n0' : 'e';
  const isRoot = (alias: string) =>
    plan.variants.every((v) => {
      const target = v.aliases.get(alias);
      return target?.kind === 'entity' && target.node === plan.root;
    });
  const order = (plan.query.orderBy ?? []).flatMap((key) => {
    const segments = key.key.segments;
    const qualified = segments.length > 1 && plan.aliasKinds.has(segments[0]!);
    if (qualified && !isRoot(segments[0]!))
      throw new NotSupportedError(
        'ORDER BY an alias other than the starting entities without RETURN',
        key.key.position.line,
        key.key.position.column,
      );
    const property = (qualified ? segments.slice(1) : segments).join('.');
    const source = propertySource(c.dialect, c.params, table, 'entity', property);
    return c.sortTerms(source.sortKeys(), key.descending);
  });
  // Ties go by _key, then by _id (unique, but assigned by each database).
  const orderBy = ` ORDER BY ${[...order, `${table}.key`, `${table}.id`].join(', ')}`;
  const columns = entityColumns(table);
  if (single) {
    const body = c
      .variantBody(plan.variants[0]!)
      .replace(/^FROM entities n0/, 'FROM entities n0 JOIN instances i ON i.id = n0.instance_id');
    return { mode: 'list', ...c.finish(`SELECT ${columns} ${body}${orderBy}${c.limit()}`) };
  }
  const starts = plan.variants.flatMap((variant) => {
    const body = c.variantBody(variant);
    const nodes = plan.onlyOptional ? [plan.root, ...variant.hops.map((h) => h.node)] : [plan.root];
    return nodes.map((node) => `SELECT n${node.id}.id AS s ${body}`);
  });
  const sql = `SELECT ${columns} FROM entities e JOIN instances i ON i.id = e.instance_id WHERE e.id IN (${starts.join(' UNION ALL ')})${orderBy}${c.limit()}`;
  return { mode: 'list', ...c.finish(sql) };
}

function compileTree(c: Compiler): CompiledQuery {
  const { plan } = c;
  const orderBy = plan.query.orderBy?.[0];
  if (orderBy)
    throw new QueryValidationError(
      'RETURN TREE has no row order: leave out ORDER BY',
      orderBy.key.position.line,
      orderBy.key.position.column,
    );
  const selects = plan.variants.map(
    (variant) => `SELECT ${c.pathColumns(variant, true).join(', ')} ${c.variantBody(variant)}`,
  );
  const sql = `SELECT DISTINCT * FROM (${selects.join(' UNION ALL ')}) p ORDER BY ${c.pathOrder(true).join(', ')}${c.limit()}`;
  const { nodes, edges } = c.pathPositions();
  return {
    mode: 'tree',
    ...c.finish(sql),
    nodeColumns: nodes.map((id) => `v${id}`),
    edgeColumns: edges.map((id) => `e${id}`),
  };
}

function containsAggregate(expression: Expression): boolean {
  switch (expression.kind) {
    case 'call':
      return AGGREGATES.has(expression.name) || expression.args.some(containsAggregate);
    case 'binary':
      return containsAggregate(expression.left) || containsAggregate(expression.right);
    case 'negate':
      return containsAggregate(expression.operand);
    default:
      return false;
  }
}

/** Leaves of RETURN expressions: alias properties, whole objects, aggregates. */
function collectLeaves(plan: Plan, expression: Expression, into: Map<string, Leaf>): void {
  const add = (leaf: Leaf) => into.set(leafKey(leaf), leaf);
  switch (expression.kind) {
    case 'property': {
      const [first, ...rest] = expression.segments;
      const alias = requireAlias(
        plan,
        first!,
        expression.position.line,
        expression.position.column,
      );
      add(
        rest.length === 0
          ? { kind: 'object', alias, objectKind: plan.aliasKinds.get(alias)! }
          : {
              kind: 'value',
              alias,
              property: rest.join('.'),
              objectKind: plan.aliasKinds.get(alias)!,
            },
      );
      return;
    }
    case 'allProperties': {
      const alias = requireAlias(
        plan,
        expression.alias,
        expression.position.line,
        expression.position.column,
      );
      add({ kind: 'object', alias, objectKind: plan.aliasKinds.get(alias)! });
      return;
    }
    case 'star':
      throw new NotSupportedError(
        '* outside COUNT',
        expression.position.line,
        expression.position.column,
      );
    case 'call': {
      if (AGGREGATES.has(expression.name)) {
        const arg = expression.args[0];
        if (expression.args.length !== 1 || !arg)
          throw new QueryValidationError(
            `${expression.name} takes one argument`,
            expression.position.line,
            expression.position.column,
          );
        if (arg.kind === 'star')
          throw new NotSupportedError(
            `${expression.name}(*)`,
            arg.position.line,
            arg.position.column,
          );
        if (arg.kind !== 'property')
          throw new NotSupportedError(
            `${expression.name} of an expression (use alias or alias.property)`,
            expression.position.line,
            expression.position.column,
          );
        const [first, ...rest] = arg.segments;
        const alias = requireAlias(plan, first!, arg.position.line, arg.position.column);
        if (rest.length === 0 && expression.name !== 'COUNT')
          throw new QueryValidationError(
            `${expression.name} needs alias.property`,
            arg.position.line,
            arg.position.column,
          );
        add({
          kind: 'aggregate',
          fn: expression.name,
          alias,
          property: rest.length === 0 ? undefined : rest.join('.'),
        });
        return;
      }
      if (!SCALAR_FUNCTIONS.has(expression.name))
        throw new QueryValidationError(
          `unknown function ${expression.name}`,
          expression.position.line,
          expression.position.column,
        );
      expression.args.forEach((a) => collectLeaves(plan, a, into));
      return;
    }
    case 'binary':
      collectLeaves(plan, expression.left, into);
      collectLeaves(plan, expression.right, into);
      return;
    case 'negate':
      collectLeaves(plan, expression.operand, into);
      return;
    default:
      return;
  }
}

/** The leaf an expression is by itself (alias, alias.property, one aggregate), if any. */
export function expressionLeaf(plan: Plan, expression: Expression): Leaf | undefined {
  const isLeaf =
    expression.kind === 'property' ||
    expression.kind === 'allProperties' ||
    (expression.kind === 'call' && AGGREGATES.has(expression.name));
  if (!isLeaf) return undefined;
  const probe = new Map<string, Leaf>();
  collectLeaves(plan, expression, probe);
  return [...probe.values()][0];
}

/** PostgreSQL returns at most 1,664 columns, and a returned value takes up to four. */
export const MAX_RETURN_VALUES = 300;

/** Two RETURN items under one name would collapse into one column: refuse instead. */
function checkColumnNames(items: ReturnItem[]): void {
  const seen = new Set<string>();
  const wholeAliases = items.flatMap((item) =>
    item.expression.kind === 'allProperties' ? [item.expression.alias] : [],
  );
  for (const item of items) {
    if (item.expression.kind === 'allProperties') continue;
    const clash =
      seen.has(item.column) || wholeAliases.some((alias) => item.column.startsWith(`${alias}.`));
    if (clash)
      throw new QueryValidationError(
        `RETURN names the column ${item.column} twice: give one of them another name with AS`,
      );
    seen.add(item.column);
  }
}

function compileTable(c: Compiler, items: ReturnItem[]): CompiledQuery {
  const { plan } = c;
  checkColumnNames(items);
  const leafMap = new Map<string, Leaf>();
  items.forEach((item) => collectLeaves(plan, item.expression, leafMap));
  const leaves = [...leafMap.values()];
  if (leaves.length > MAX_RETURN_VALUES)
    throw new QueryValidationError(
      `RETURN asks for ${leaves.length} values; at most ${MAX_RETURN_VALUES} are allowed`,
    );
  const aggregated = items.some((item) => containsAggregate(item.expression));
  const query = plan.query;
  if (!aggregated && query.having)
    throw new QueryValidationError('HAVING needs an aggregate in RETURN');

  // ORDER BY: a returned column that is a single leaf, or alias.property, sorts in SQL.
  let sortAfter: { column: string; descending: boolean } | undefined;
  const orderTargets: { key: OrderKey; leafIndex?: number; ref?: PropertyRef }[] = [];
  for (const key of query.orderBy ?? []) {
    const name = key.key.segments.join('.');
    const item = items.find((i) => i.column === name);
    const ownLeaf = item && expressionLeaf(plan, item.expression);
    const itemLeaf = ownLeaf ? leaves.findIndex((l) => leafKey(l) === leafKey(ownLeaf)) : -1;
    if (item && itemLeaf >= 0 && leaves[itemLeaf]!.kind !== 'object')
      orderTargets.push({ key, leafIndex: itemLeaf });
    else if (item) {
      if ((query.orderBy ?? []).length > 1)
        throw new NotSupportedError('several ORDER BY keys when one is a computed column');
      sortAfter = { column: item.column, descending: key.descending };
    } else if (key.key.segments.length > 1 && plan.aliasKinds.has(key.key.segments[0]!))
      orderTargets.push({ key, ref: key.key });
    else
      throw new QueryValidationError(
        `ORDER BY ${name}: not a RETURN column or alias.property`,
        key.key.position.line,
        key.key.position.column,
      );
  }

  // A value sorts by keys derived from its returned JSON; an object by its key, then its id.
  const sortOf = (i: number) =>
    leaves[i]!.kind === 'value' ? c.dialect.jsonSortKeys(`c${i}`) : [`s${i}_0`, `c${i}`];
  const sortColumns = (i: number) => (leaves[i]!.kind === 'value' ? [] : [`s${i}_0`]);
  const groupLeaves = leaves.flatMap((leaf, i) => (leaf.kind === 'aggregate' ? [] : [i]));
  const selects = plan.variants.map((variant) => {
    const columns: string[] = [];
    leaves.forEach((leaf, i) => {
      if (leaf.kind === 'value') {
        columns.push(`${c.sourceOf(leaf.alias, leaf.property, variant).json()} AS c${i}`);
      } else if (leaf.kind === 'object')
        columns.push(
          `${c.objectId(leaf.alias, variant)} AS c${i}`,
          `${c.objectColumn(leaf.alias, variant, 'key')} AS s${i}_0`,
        );
      else if (leaf.property === undefined)
        columns.push(`${c.objectId(leaf.alias, variant)} AS c${i}`);
      else {
        const source = c.sourceOf(leaf.alias, leaf.property, variant);
        columns.push(`${leaf.fn === 'COUNT' ? source.countable() : source.numeric()} AS c${i}`);
        if (leaf.fn === 'SUM' || leaf.fn === 'AVG')
          columns.push(`${c.objectId(leaf.alias, variant)} AS d${i}`);
      }
    });
    orderTargets.forEach((target, k) => {
      if (target.ref)
        c.aliasedSource(target.ref, variant)
          .sortKeys()
          .forEach((key, j) => columns.push(`${key} AS o${k}_${j}`));
    });
    if (!aggregated && !query.unique) columns.push(...c.pathColumns(variant, false));
    // Only constants returned (`RETURN 1 AS x`): one row per path (with UNIQUE, one row).
    if (columns.length === 0) columns.push('1 AS z');
    return `SELECT ${columns.join(', ')} ${c.variantBody(variant)}`;
  });
  const paths = selects.join(' UNION ALL ');

  // The written ORDER BY, then every returned value, then (rows, not groups) the path: a total
  // order, the same on both databases, so LIMIT and paging cut at the same row everywhere.
  const userOrder = orderTargets.flatMap((t, k) =>
    t.ref
      ? c.sortTerms(
          [0, 1, 2].map((j) => `o${k}_${j}`),
          t.key.descending,
        )
      : leaves[t.leafIndex!]!.kind === 'aggregate'
        ? c.sortTerms([`c${t.leafIndex}`], t.key.descending)
        : c.sortTerms(sortOf(t.leafIndex!), t.key.descending),
  );
  // A value the written ORDER BY already sorts on cannot break its ties: left out.
  const written = new Set(orderTargets.map((t) => t.leafIndex));
  const valueOrder = groupLeaves
    .filter((i) => !written.has(i))
    .flatMap((i) => c.sortTerms(sortOf(i), false));
  const orderColumns = orderTargets.flatMap((t, k) =>
    t.ref ? [0, 1, 2].map((j) => `o${k}_${j}`) : [],
  );
  const limitSql = sortAfter ? ` LIMIT ${c.params.add(c.options.maxRows + 1)}` : c.limit();

  let sql: string;
  if (!aggregated) {
    const order = [...userOrder, ...valueOrder];
    if (query.unique) {
      const columns = [
        ...leaves.flatMap((leaf, i) =>
          leaf.kind === 'aggregate' ? [] : [`c${i}`, ...sortColumns(i)],
        ),
        ...orderColumns,
      ];
      const distinct = [...new Set(columns.length > 0 ? columns : ['z'])];
      // Ordered outside the DISTINCT: PostgreSQL orders a DISTINCT only by selected columns.
      sql = `SELECT * FROM (SELECT DISTINCT ${distinct.join(', ')} FROM (${paths}) p) d${order.length > 0 ? ` ORDER BY ${order.join(', ')}` : ''}${limitSql}`;
    } else
      sql = `SELECT * FROM (${paths}) p ORDER BY ${[...order, ...c.pathOrder(false)].join(', ')}${limitSql}`;
  } else {
    const groupColumns = [
      ...new Set([...groupLeaves.flatMap((i) => [`c${i}`, ...sortColumns(i)]), ...orderColumns]),
    ];
    const windows = leaves.flatMap((leaf, i) =>
      leaf.kind === 'aggregate' && (leaf.fn === 'SUM' || leaf.fn === 'AVG')
        ? [`ROW_NUMBER() OVER (PARTITION BY ${[...groupColumns, `d${i}`].join(', ')}) AS w${i}`]
        : [],
    );
    const source =
      windows.length > 0 ? `(SELECT q.*, ${windows.join(', ')} FROM (${paths}) q)` : `(${paths})`;
    const outputs = leaves.flatMap((leaf, i) => {
      if (leaf.kind !== 'aggregate') return [];
      if (leaf.fn === 'COUNT' && leaf.property === undefined && c.rowPerEntity(leaf.alias))
        return [`COUNT(c${i}) AS c${i}`];
      if (leaf.fn === 'COUNT') return [`COUNT(DISTINCT c${i}) AS c${i}`];
      if (leaf.fn === 'SUM' || leaf.fn === 'AVG')
        return [`${leaf.fn}(CASE WHEN w${i} = 1 THEN c${i} END) AS c${i}`];
      return [`${leaf.fn}(c${i}) AS c${i}`];
    });
    const groupBy = groupColumns.length > 0 ? ` GROUP BY ${groupColumns.join(', ')}` : '';
    let grouped = `SELECT ${[...groupColumns, ...outputs].join(', ')} FROM ${source} p${groupBy}`;
    if (query.having)
      grouped = `SELECT * FROM (${grouped}) h WHERE ${havingFilter(c, query.having, items, leaves)}`;
    const aggregateOrder = leaves.flatMap((leaf, i) =>
      leaf.kind === 'aggregate' ? c.sortTerms([`c${i}`], false) : [],
    );
    const order = [...userOrder, ...valueOrder, ...aggregateOrder];
    sql = `SELECT * FROM (${grouped}) g${order.length > 0 ? ` ORDER BY ${order.join(', ')}` : ''}${limitSql}`;
  }
  return { mode: 'table', ...c.finish(sql), leaves, items, sortAfter };
}

/** HAVING compares RETURN columns that are single aggregates (`HAVING ruleCount < 13`). */
function havingFilter(c: Compiler, having: Filter, items: ReturnItem[], leaves: Leaf[]): string {
  return compileFilter(having, {
    dialect: c.dialect,
    params: c.params,
    values: c.options.values,
    propertyOnRight: false,
    source: (ref) => {
      const name = ref.segments.join('.');
      const item = items.find((i) => i.column === name);
      const expression = item?.expression;
      if (!expression || expression.kind !== 'call' || !AGGREGATES.has(expression.name))
        throw new NotSupportedError(
          `HAVING on ${name} (only RETURN columns that are one aggregate)`,
          ref.position.line,
          ref.position.column,
        );
      const own = expressionLeaf(c.plan, expression)!;
      const index = leaves.findIndex((l) => leafKey(l) === leafKey(own));
      return c.dialect.columnSource(`h.c${index}`, 'number', true, c.params);
    },
  });
}

/** Above this many variants a two-way hop stays one OR condition instead of two variants. */
const MAX_DIRECTED_VARIANTS = 8;

/**
 * A two-way hop becomes two one-way variants (UNION ALL), so each join follows the from/to
 * indexes from whichever end is bound; an OR of both directions defeats them.
 */
function directedChains(hops: Hop[]): Hop[][] {
  const chains = hops.reduce<Hop[][]>(
    (done, hop) =>
      hop.edge.direction !== 'both'
        ? done.map((c) => [...c, hop])
        : done.flatMap((c) => [
            [...c, { ...hop, edge: { ...hop.edge, direction: 'out' as const } }],
            [...c, { ...hop, edge: { ...hop.edge, direction: 'in' as const }, loopFree: true }],
          ]),
    [[]],
  );
  return chains.length <= MAX_DIRECTED_VARIANTS ? chains : [hops];
}

function directedVariants(variants: Variant[]): Variant[] {
  const expanded = variants.flatMap((variant) =>
    directedChains(variant.hops).map((hops) => ({ ...variant, hops })),
  );
  return expanded.length <= MAX_DIRECTED_VARIANTS ? expanded : variants;
}

export function compileQuery(plan: Plan, options: CompileOptions): CompiledQuery {
  const compiler = new Compiler({ ...plan, variants: directedVariants(plan.variants) }, options);
  const returnClause = plan.query.return;
  if (!returnClause) {
    if (plan.query.having) throw new QueryValidationError('HAVING needs RETURN');
    return compileList(compiler);
  }
  if (returnClause.kind === 'tree') return compileTree(compiler);
  return compileTable(compiler, returnClause.items);
}
