/**
 * The SQL that differs between SQLite and PostgreSQL: JSON access, typed comparisons, booleans,
 * placeholders. The compiler writes everything else once.
 */
import { storedString } from '../../store/stored-json.js';

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
  /** The value as a native SQL scalar for ORDER BY, MIN and MAX. */
  native(): string;
  /** The value as a number, or NULL when it is not one, for SUM and AVG. */
  numeric(): string;
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
  stringParam(params: Params, value: string): string;
  numberParam(params: Params, value: number): string;
  regexMatch(text: string, pattern: string, caseInsensitive: boolean, params: Params): string;
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
): ValueSource {
  const element = columnElement(column, kind, trueValue);
  return {
    anyElement: (predicate) =>
      nullable ? `(${column} IS NOT NULL AND ${predicate(element)})` : predicate(element),
    missing: () => (nullable ? `${column} IS NULL` : 'FALSE'),
    json: () => column,
    native: () => column,
    numeric: () => (kind === 'number' ? column : 'NULL'),
  };
}

const absent: ValueSource = {
  anyElement: () => 'FALSE',
  missing: () => 'TRUE',
  json: () => 'NULL',
  native: () => 'NULL',
  numeric: () => 'NULL',
};

/** `$."name"`: any property name is one quoted path label, so dots and quotes stay literal. */
function sqliteJsonPath(key: string | undefined): string {
  return key === undefined ? '$' : `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  falseFlag: '0',
  jsonSource(document, key, params) {
    const path = () => params.add(sqliteJsonPath(key));
    return {
      anyElement(predicate) {
        const x = elementAlias();
        const element: Element = {
          guard: (kind, body) =>
            `(${x}.type ${kind === 'string' ? "= 'text'" : "IN ('integer','real')"} AND ${body(`${x}.value`)})`,
          isBoolean: (value) => `${x}.type = '${value ? 'true' : 'false'}'`,
        };
        return `EXISTS (SELECT 1 FROM json_each(${document}, ${path()}) ${x} WHERE ${predicate(element)})`;
      },
      missing: () => `coalesce(json_type(${document}, ${path()}), 'null') = 'null'`,
      json: () => `(${document} -> ${path()})`,
      native: () => `json_extract(${document}, ${path()})`,
      numeric: () => {
        const p1 = path();
        const p2 = path();
        return `(CASE WHEN json_type(${document}, ${p1}) IN ('integer','real') THEN json_extract(${document}, ${p2}) END)`;
      },
    };
  },
  columnSource: (column, kind, nullable) => columnSource(column, kind, nullable, '1'),
  absentSource: () => absent,
  stringParam: (params, value) => params.add(storedString(value)),
  numberParam: (params, value) => params.add(value),
  regexMatch: (text, pattern, caseInsensitive, params) =>
    `js_regexp(${params.add(pattern)}, ${params.add(caseInsensitive ? 'i' : '')}, ${text})`,
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
      anyElement(predicate) {
        const x = elementAlias();
        const v = `${x}.v`;
        const element: Element = {
          guard: (kind, body) =>
            `(CASE WHEN jsonb_typeof(${v}) = '${kind}' THEN ${body(
              kind === 'string' ? `(${v} #>> '{}')` : `(${v} #>> '{}')::numeric`,
            )} ELSE FALSE END)`,
          isBoolean: (b) => `${v} = '${b ? 'true' : 'false'}'::jsonb`,
        };
        const a = value();
        const b = value();
        const c = value();
        return `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${a}) = 'array' THEN ${b} ELSE jsonb_build_array(${c}) END) ${x}(v) WHERE ${predicate(element)})`;
      },
      missing: () => `coalesce(jsonb_typeof(${value()}), 'null') = 'null'`,
      json: () => value(),
      native: () => value(),
      numeric: () => {
        const a = value();
        const b = value();
        return `(CASE WHEN jsonb_typeof(${a}) = 'number' THEN (${b} #>> '{}')::numeric END)`;
      },
    };
  },
  columnSource: (column, kind, nullable) => columnSource(column, kind, nullable, 'TRUE'),
  absentSource: () => absent,
  stringParam: (params, value) => `${params.add(storedString(value))}::text`,
  numberParam: (params, value) => `${params.add(value)}::numeric`,
  regexMatch: (text, pattern, caseInsensitive, params) =>
    `(${text} ${caseInsensitive ? '~*' : '~'} ${params.add(pattern)}::text)`,
  contains: (text, part) => `strpos(${text}, ${part}) > 0`,
  startsWith: (text, part) => `starts_with(${text}, ${part})`,
  endsWith: (text, part) => `right(${text}, length(${part})) = ${part}`,
  nullsLast: (direction) => `${direction} NULLS LAST`,
  notIndexed: (column) => column,
};

export function dialectFor(name: DialectName): Dialect {
  return name === 'sqlite' ? sqliteDialect : postgresDialect;
}
