import type { Dialect } from './connection.js';
import { storedString, toStoredJson } from '../stored-json.js';

/**
 * The JSON SQL that differs between SQLite (json1) and PostgreSQL (jsonb). Each returns a
 * condition with `?` placeholders and the parameters it needs for `value`.
 */
export interface JsonSql {
  /** FROM-clause item yielding one `value` per element of a JSON array of strings, aliased `j`. */
  arrayElements(column: string): string;
  /**
   * FROM-clause item yielding one row per member of the JSON object `column`, aliased `k`, and
   * the expression of that member's JSON type (a name `jsonTypeName` maps to a common one).
   */
  objectMembers(column: string): { from: string; key: string; type: string };
  /** `column` (a JSON array) contains the string `value`. */
  arrayContains(column: string, value: string): { sql: string; params: unknown[] };
  /** The JSON object `column` has `name` equal to `value`, or an array under `name` containing it. */
  propertyMatches(column: string, name: string, value: unknown): { sql: string; params: unknown[] };
}

/** json_each yields JSON booleans as 1/0 and strings in their stored form. */
function sqliteScalar(value: unknown): unknown {
  if (typeof value === 'boolean') return Number(value);
  return typeof value === 'string' ? storedString(value) : value;
}

const sqliteJson: JsonSql = {
  arrayElements: (column) => `json_each(${column}) AS j`,
  objectMembers: (column) => ({ from: `json_each(${column}) AS k`, key: 'k.key', type: 'k.type' }),
  arrayContains: (column, value) => ({
    sql: `EXISTS (SELECT 1 FROM json_each(${column}) AS c WHERE c.value = ?)`,
    params: [storedString(value)],
  }),
  // json_each over a scalar yields the scalar itself, so one form covers scalars and arrays.
  propertyMatches: (column, name, value) => ({
    sql: `EXISTS (SELECT 1 FROM json_each(${column}, ?) AS p WHERE p.value = ?)`,
    params: [`$.${JSON.stringify(name)}`, sqliteScalar(value)],
  }),
};

const postgresJson: JsonSql = {
  arrayElements: (column) => `jsonb_array_elements_text(${column}) AS j(value)`,
  objectMembers: (column) => ({
    from: `jsonb_each(${column}) AS k(key, value)`,
    key: 'k.key',
    type: 'jsonb_typeof(k.value)',
  }),
  arrayContains: (column, value) => ({
    sql: `${column} @> CAST(? AS JSONB)`,
    params: [toStoredJson([value])],
  }),
  propertyMatches: (column, name, value) => ({
    sql: `(${column} -> CAST(? AS TEXT) = CAST(? AS JSONB) OR ${column} -> CAST(? AS TEXT) @> CAST(? AS JSONB))`,
    params: [name, toStoredJson(value), name, toStoredJson([value])],
  }),
};

export function jsonSql(dialect: Dialect): JsonSql {
  return dialect === 'sqlite' ? sqliteJson : postgresJson;
}

/** SQLite's json_each types and PostgreSQL's jsonb_typeof names, as JSON Schema names. */
const JSON_TYPE_NAMES: Record<string, string> = {
  text: 'string',
  integer: 'number',
  real: 'number',
  true: 'boolean',
  false: 'boolean',
};

export function jsonTypeName(name: string): string {
  return JSON_TYPE_NAMES[name] ?? name;
}
