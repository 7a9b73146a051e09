import { BUDGET_FUNCTION } from '../../store/sql/read-budget.js';
import { storedString } from '../../store/stored-json.js';

/**
 * The SQL that differs between SQLite and PostgreSQL: JSON access, typed comparisons, booleans,
 * placeholders. The compiler writes everything else once.
 */

export type DialectName = 'sqlite' | 'postgres';

/**
 * Collects bound values; SQL text only ever receives placeholders. Placeholders are numbered
 * (`$n`) while the SQL is assembled in any order; `finish` renumbers them for the driver.
 */
export class Params {
  private readonly values: unknown[] = [];
  constructor(private readonly dialect: DialectName) {}

  add(value: unknown): string {
    this.values.push(
      this.dialect === 'sqlite' && typeof value === 'boolean' ? Number(value) : value,
    );
    return `$${this.values.length}`;
  }

  /** better-sqlite3 binds `?` by position only: repeat values in the order the text uses them. */
  finish(sql: string): { sql: string; params: unknown[] } {
    if (this.dialect === 'postgres') return { sql, params: this.values };
    const params: unknown[] = [];
    const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
      params.push(this.values[Number(n) - 1]);
      return '?';
    });
    return { sql: text, params };
  }
}

export type ValueKind = 'string' | 'number';

/**
 * One candidate value of a property: the property itself when scalar, each element when an array.
 * `guard` applies `body` to the value only when it has that JSON type (strict, never coerced).
 */
export interface Element {
  guard(kind: ValueKind, body: (value: string) => string): string;
  isBoolean(value: boolean): string;
}

/** Where a property's value lives: a JSON document key, or a typed metadata column. */
export interface ValueSource {
  /** True when some element satisfies `predicate`. */
  anyElement(predicate: (element: Element) => string): string;
  /** Absent or null. */
  missing(): string;
  /** The value as JSON (SQLite: JSON text; PostgreSQL: jsonb) for RETURN. */
  json(): string;
  /** The value as a number, or NULL when it is not one, for SUM and AVG. */
  numeric(): string;
  /** The value as COUNT counts it: JSON, with an empty array counted as no value. */
  countable(): string;
  /**
   * Three ORDER BY terms that sort the same on both databases: the JSON type (numbers, strings,
   * booleans, arrays, objects; absent is NULL), then the number (booleans as 0/1), then the text
   * in code-point order.
   */
  sortKeys(): [string, string, string];
}

/** A value returned as JSON (ValueSource.json) sorted by the three keys of sortKeys. */
export type JsonSortKeys = (json: string) => [string, string, string];

/** The order of JSON types in a sort: the same rank on both databases. */
const SORT_RANK = { number: 1, string: 2, boolean: 3, array: 4, object: 5 };

/** One J1QL (JavaScript) regular expression, and the same meaning in PostgreSQL's ARE syntax. */
export interface RegexPatterns {
  javascript: string;
  postgres: string;
}

export interface Dialect {
  readonly name: DialectName;
  readonly falseFlag: string;
  /** A JSON object column's key (`properties`), or the whole document when key is undefined. */
  jsonSource(document: string, key: string | undefined, params: Params): ValueSource;
  columnSource(
    column: string,
    kind: ValueKind | 'boolean',
    nullable: boolean,
    params: Params,
  ): ValueSource;
  /** A source that does not exist on this path (an alias an optional traversal did not bind). */
  absentSource(): ValueSource;
  /** NULL as each kind of column, so UNION ALL branches agree on column types. */
  nullOf(kind: 'json' | 'text' | 'number' | 'integer'): string;
  /**
   * A condition, evaluated per row of `table`, that cancels the statement once the read's time
   * budget is spent; undefined where the server enforces the budget itself.
   */
  budgetCheck(table: string): string | undefined;
  /**
   * sortKeys of a returned JSON value (ValueSource.json), computed after the join from the one
   * small value instead of from the whole properties document on every path.
   */
  jsonSortKeys: JsonSortKeys;
  /** Entity row `table` is in the full-text index (store/search-index.ts) with every word. */
  searchMatch(table: string, words: string[], params: Params): string;
  stringParam(params: Params, value: string): string;
  numberParam(params: Params, value: number): string;
  regexMatch(
    text: string,
    patterns: RegexPatterns,
    caseInsensitive: boolean,
    params: Params,
  ): string;
  contains(text: string, part: string): string;
  startsWith(text: string, part: string): string;
  endsWith(text: string, part: string): string;
  nullsLast(direction: 'ASC' | 'DESC'): string;
  /**
   * The column in a form no index serves: on SQLite (no planner statistics) a `class = ?` index
   * would otherwise win over following the chain through the from/to and primary-key indexes.
   */
  notIndexed(column: string): string;
}

let aliasCounter = 0;
/** json_each / jsonb_array_elements aliases must be unique inside nested EXISTS. */
function elementAlias(): string {
  aliasCounter = (aliasCounter + 1) % 1_000_000;
  return `x${aliasCounter}`;
}

function columnElement(column: string, kind: ValueKind | 'boolean', trueValue: string): Element {
  return {
    guard: (wanted, body) => (wanted === kind ? body(column) : 'FALSE'),
    isBoolean: (value) =>
      kind === 'boolean' ? `${column} = ${value ? trueValue : falseOf(trueValue)}` : 'FALSE',
  };
}

function falseOf(trueValue: string): string {
  return trueValue === '1' ? '0' : 'FALSE';
}

function columnSource(
  column: string,
  kind: ValueKind | 'boolean',
  nullable: boolean,
  trueValue: string,
  nullOf: Dialect['nullOf'],
  textOrder: (text: string) => string,
  asJson: (column: string, kind: ValueKind | 'boolean') => string,
): ValueSource {
  const element = columnElement(column, kind, trueValue);
  const present = (value: string) =>
    nullable ? `(CASE WHEN ${column} IS NOT NULL THEN ${value} END)` : value;
  return {
    anyElement: (predicate) =>
      nullable ? `(${column} IS NOT NULL AND ${predicate(element)})` : predicate(element),
    missing: () => (nullable ? `${column} IS NULL` : 'FALSE'),
    json: () => asJson(column, kind),
    numeric: () => (kind === 'number' ? column : nullOf('number')),
    countable: () => asJson(column, kind),
    sortKeys: () => [
      present(String(SORT_RANK[kind])),
      kind === 'string'
        ? nullOf('number')
        : kind === 'boolean'
          ? `(CASE WHEN ${column} = ${trueValue} THEN 1 ELSE 0 END)`
          : column,
      kind === 'string' ? textOrder(column) : nullOf('text'),
    ],
  };
}

function absentSource(nullOf: Dialect['nullOf']): ValueSource {
  return {
    anyElement: () => 'FALSE',
    missing: () => 'TRUE',
    json: () => nullOf('json'),
    numeric: () => nullOf('number'),
    countable: () => nullOf('json'),
    sortKeys: () => [nullOf('integer'), nullOf('number'), nullOf('text')],
  };
}

/** `$."name"`: any property name is one quoted path label, so dots and quotes stay literal. */
function sqliteJsonPath(key: string | undefined): string {
  return key === undefined ? '$' : `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const sqliteNull = (): string => 'NULL';
const POSTGRES_TYPES = { json: 'jsonb', text: 'text', number: 'numeric', integer: 'integer' };
const postgresNull = (kind: keyof typeof POSTGRES_TYPES): string => `NULL::${POSTGRES_TYPES[kind]}`;

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  falseFlag: '0',
  jsonSource(document, key, params) {
    const path = () => params.add(sqliteJsonPath(key));
    return {
      // Scalar fast path: only an array is walked with json_each (a table-valued function per
      // row, about three times the cost of a plain comparison).
      anyElement(predicate) {
        const p = path();
        const x = elementAlias();
        const type = `json_type(${document}, ${p})`;
        const typeTest = (kind: ValueKind) =>
          kind === 'string' ? "= 'text'" : "IN ('integer','real')";
        const each: Element = {
          guard: (kind, body) => `(${x}.type ${typeTest(kind)} AND ${body(`${x}.value`)})`,
          isBoolean: (value) => `${x}.type = '${value ? 'true' : 'false'}'`,
        };
        const scalar: Element = {
          guard: (kind, body) =>
            `(${type} ${typeTest(kind)} AND ${body(`(${document} ->> ${p})`)})`,
          isBoolean: (value) => `${type} = '${value ? 'true' : 'false'}'`,
        };
        return `coalesce(CASE ${type} WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(${document}, ${p}) ${x} WHERE ${predicate(each)}) ELSE ${predicate(scalar)} END, FALSE)`;
      },
      missing: () => `coalesce(json_type(${document}, ${path()}), 'null') = 'null'`,
      json: () => `(${document} -> ${path()})`,
      numeric: () => {
        const p1 = path();
        const p2 = path();
        return `(CASE WHEN json_type(${document}, ${p1}) IN ('integer','real') THEN json_extract(${document}, ${p2}) END)`;
      },
      // A bound value may appear several times: Params.finish repeats it for each `?`.
      countable: () => {
        const p = path();
        return `(CASE WHEN json_type(${document}, ${p}) = 'array' AND json_array_length(${document}, ${p}) = 0 THEN NULL ELSE ${document} -> ${p} END)`;
      },
      sortKeys: () => {
        const p = path();
        const type = `json_type(${document}, ${p})`;
        const value = `json_extract(${document}, ${p})`;
        return [
          `(CASE ${type} WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2 WHEN 'true' THEN 3 WHEN 'false' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 5 END)`,
          `(CASE WHEN ${type} IN ('integer','real','true','false') THEN ${value} END)`,
          `(CASE WHEN ${type} IN ('text','array','object') THEN ${value} END)`,
        ];
      },
    };
  },
  columnSource: (column, kind, nullable) =>
    columnSource(
      column,
      kind,
      nullable,
      '1',
      sqliteNull,
      (text) => text,
      (value, kind) =>
        kind === 'boolean'
          ? `json(CASE WHEN ${value} THEN 'true' ELSE 'false' END)`
          : `json_quote(${value})`,
    ),
  absentSource: () => absentSource(sqliteNull),
  nullOf: sqliteNull,
  budgetCheck: (table) => `${BUDGET_FUNCTION}(${table}.id)`,
  jsonSortKeys: (json) => [
    `(CASE json_type(${json}) WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2 WHEN 'true' THEN 3 WHEN 'false' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 5 END)`,
    `(CASE WHEN json_type(${json}) IN ('integer','real','true','false') THEN ${json} ->> '$' END)`,
    `(CASE WHEN json_type(${json}) IN ('text','array','object') THEN ${json} ->> '$' END)`,
  ],
  // FTS5: quoted words side by side must all occur. Words hold no quote (it separates words).
  searchMatch: (table, words, params) =>
    `(${table}.instance_id, ${table}.key) IN (SELECT s.instance_id, s.key FROM entity_search_words w JOIN entity_search s ON s.id = w.rowid WHERE entity_search_words MATCH ${params.add(words.map((w) => `"${w}"`).join(' '))})`,
  stringParam: (params, value) => params.add(storedString(value)),
  numberParam: (params, value) => params.add(value),
  regexMatch: (text, patterns, caseInsensitive, params) =>
    `js_regexp(${params.add(patterns.javascript)}, ${params.add(caseInsensitive ? 'i' : '')}, ${text})`,
  contains: (text, part) => `instr(${text}, ${part}) > 0`,
  startsWith: (text, part) => `substr(${text}, 1, length(${part})) = ${part}`,
  endsWith: (text, part) =>
    `(length(${text}) >= length(${part}) AND substr(${text}, length(${text}) - length(${part}) + 1) = ${part})`,
  nullsLast: (direction) => `${direction} NULLS LAST`,
  notIndexed: (column) => `+${column}`,
};

export const postgresDialect: Dialect = {
  name: 'postgres',
  falseFlag: 'FALSE',
  jsonSource(document, key, params) {
    const value = () =>
      key === undefined ? document : `(${document} -> ${params.add(key)}::text)`;
    return {
      // Scalar fast path: only an array is expanded into a set of elements.
      anyElement(predicate) {
        const x = elementAlias();
        const v = value();
        const elementOf = (item: string): Element => ({
          guard: (kind, body) =>
            `(CASE WHEN jsonb_typeof(${item}) = '${kind}' THEN ${body(
              kind === 'string' ? `(${item} #>> '{}')` : `(${item} #>> '{}')::numeric`,
            )} ELSE FALSE END)`,
          isBoolean: (b) => `${item} = '${b ? 'true' : 'false'}'::jsonb`,
        });
        return `coalesce(CASE WHEN jsonb_typeof(${v}) = 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(${v}) ${x}(v) WHERE ${predicate(elementOf(`${x}.v`))}) ELSE ${predicate(elementOf(v))} END, FALSE)`;
      },
      missing: () => `coalesce(jsonb_typeof(${value()}), 'null') = 'null'`,
      json: () => value(),
      numeric: () => {
        const a = value();
        const b = value();
        return `(CASE WHEN jsonb_typeof(${a}) = 'number' THEN (${b} #>> '{}')::numeric END)`;
      },
      countable: () => `(CASE WHEN ${value()} = '[]'::jsonb THEN NULL ELSE ${value()} END)`,
      sortKeys: () => {
        const v = value();
        const type = `jsonb_typeof(${v})`;
        return [
          `(CASE ${type} WHEN 'number' THEN 1 WHEN 'string' THEN 2 WHEN 'boolean' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 5 END)`,
          `(CASE ${type} WHEN 'number' THEN (${v} #>> '{}')::numeric WHEN 'boolean' THEN (CASE WHEN ${v} = 'true'::jsonb THEN 1 ELSE 0 END) END)`,
          `((CASE WHEN ${type} IN ('string','array','object') THEN (${v} #>> '{}') END) COLLATE "C")`,
        ];
      },
    };
  },
  columnSource: (column, kind, nullable) =>
    // jsonb like property values, so UNION ALL branches agree whatever an alias is bound to.
    columnSource(
      column,
      kind,
      nullable,
      'TRUE',
      postgresNull,
      (text) => `${text} COLLATE "C"`,
      (value) => `to_jsonb(${value})`,
    ),
  absentSource: () => absentSource(postgresNull),
  nullOf: postgresNull,
  budgetCheck: () => undefined,
  jsonSortKeys: (json) => [
    `(CASE jsonb_typeof(${json}) WHEN 'number' THEN 1 WHEN 'string' THEN 2 WHEN 'boolean' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 5 END)`,
    `(CASE jsonb_typeof(${json}) WHEN 'number' THEN (${json} #>> '{}')::numeric WHEN 'boolean' THEN (CASE WHEN ${json} = 'true'::jsonb THEN 1 ELSE 0 END) END)`,
    `((CASE WHEN jsonb_typeof(${json}) IN ('string','array','object') THEN (${json} #>> '{}') END) COLLATE "C")`,
  ],
  // A tsquery of quoted lexemes is taken as written, like the index's words.
  searchMatch: (table, words, params) =>
    `(${table}.instance_id, ${table}.key) IN (SELECT s.instance_id, s.key FROM entity_search s WHERE s.words @@ ${params.add(words.map((w) => `'${w}'`).join(' & '))}::tsquery)`,
  stringParam: (params, value) => `${params.add(storedString(value))}::text`,
  numberParam: (params, value) => `${params.add(value)}::numeric`,
  regexMatch: (text, patterns, caseInsensitive, params) =>
    `(${text} ${caseInsensitive ? '~*' : '~'} ${params.add(patterns.postgres)}::text)`,
  contains: (text, part) => `strpos(${text}, ${part}) > 0`,
  startsWith: (text, part) => `starts_with(${text}, ${part})`,
  endsWith: (text, part) => `right(${text}, length(${part})) = ${part}`,
  nullsLast: (direction) => `${direction} NULLS LAST`,
  notIndexed: (column) => column,
};

export function dialectFor(name: DialectName): Dialect {
  return name === 'sqlite' ? sqliteDialect : postgresDialect;
}
