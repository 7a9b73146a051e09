/**
 * Warnings for names the store has never seen: a misspelt `_type`, `_class` or property matches
 * nothing and the answer is silently empty, so the query says which name is unknown and which
 * known names are closest.
 */
import type { ReadOptions } from '../store/sql/read-budget.js';
import { jsonSql } from '../store/sql/json.js';
import type { Filter, PropertyRef, Query, Selector, Step, Value, ValueSet } from './ast.js';
import type { QueryableStore } from './engine.js';
import { didYouMean } from './suggest.js';

interface Referenced {
  types: Set<string>;
  classes: Set<string>;
  properties: Set<string>;
}

function addSelector(selector: Selector, into: Referenced): void {
  const names =
    selector.kind === 'names'
      ? selector.names
      : selector.kind === 'smartClass' && selector.name
        ? [selector.name]
        : [];
  for (const name of names) (name.kind === 'class' ? into.classes : into.types).add(name.value);
}

function strings(right: Value | ValueSet | PropertyRef): string[] {
  const values = right.kind === 'set' ? right.values : [right];
  return values.flatMap((v) => (v.kind === 'string' ? [v.value] : []));
}

/** In WITH the whole dotted name is the property; in WHERE the first segment is an alias. */
function addFilter(filter: Filter | undefined, withAlias: boolean, into: Referenced): void {
  if (!filter) return;
  if (filter.kind !== 'compare') {
    for (const operand of filter.operands) addFilter(operand, withAlias, into);
    return;
  }
  const refs = [filter.left, ...(filter.right.kind === 'property' ? [filter.right] : [])];
  for (const ref of refs) {
    const segments = withAlias ? ref.segments.slice(1) : ref.segments;
    if (segments.length === 0) continue;
    const name = segments.join('.');
    if (ref !== filter.left || filter.op !== '=') {
      if (!name.startsWith('_')) into.properties.add(name);
      continue;
    }
    if (name === '_type') for (const v of strings(filter.right)) into.types.add(v);
    else if (name === '_class') for (const v of strings(filter.right)) into.classes.add(v);
    else if (!name.startsWith('_')) into.properties.add(name);
  }
}

function addSteps(steps: Step[], into: Referenced): void {
  for (const step of steps) {
    if (step.kind === 'optional') {
      addSteps(step.steps, into);
      continue;
    }
    addSelector(step.target, into);
    addFilter(step.filter, false, into);
  }
}

/** The types, classes and property names a query's selectors and filters ask for. */
export function referencedNames(query: Query): Referenced {
  const into: Referenced = { types: new Set(), classes: new Set(), properties: new Set() };
  if (query.root.kind === 'entities') addSelector(query.root.selector, into);
  addFilter(query.root.filter, false, into);
  addSteps(query.steps, into);
  addFilter(query.where, true, into);
  return into;
}

async function names(
  store: QueryableStore,
  sql: string,
  params: unknown[],
  budget: ReadOptions,
): Promise<string[]> {
  return (await store.read<{ name: string }>(sql, params, budget)).map((r) => r.name);
}

async function knownProperties(store: QueryableStore, budget: ReadOptions): Promise<string[]> {
  const members = jsonSql(store.dialect).objectMembers('o.properties');
  const read = (table: string) =>
    names(
      store,
      `SELECT DISTINCT ${members.key} AS name FROM ${table} o, ${members.from}`,
      [],
      budget,
    );
  return [...(await read('entities')), ...(await read('relationships'))];
}

/**
 * One warning per referenced name no stored object (deleted ones included) has. Types and classes
 * are checked on every query (index look-ups; the list of known names is read only for a missing
 * one); property names, which take a scan of the stored properties, only when the answer is
 * empty (`emptyAnswer`), where a typo hides.
 */
export async function unknownNameWarnings(
  store: QueryableStore,
  query: Query,
  emptyAnswer: boolean,
  budget: ReadOptions,
): Promise<string[]> {
  const referenced = referencedNames(query);
  const warnings: string[] = [];
  const check = async (
    wanted: Set<string>,
    table: string,
    column: string,
    say: (name: string) => string,
  ) => {
    const placeholder = store.dialect === 'sqlite' ? '?' : '$1';
    const missing: string[] = [];
    for (const name of [...wanted].sort()) {
      const sql = `SELECT ${column} AS name FROM ${table} WHERE ${column} = ${placeholder} LIMIT 1`;
      if ((await names(store, sql, [name], budget)).length === 0) missing.push(name);
    }
    if (missing.length === 0) return;
    const known = await names(store, `SELECT DISTINCT ${column} AS name FROM ${table}`, [], budget);
    for (const name of missing) warnings.push(`${say(name)}${didYouMean(name, known)}`);
  };
  await check(referenced.types, 'entities', 'type', (name) => `no entity of type ${name}`);
  await check(
    referenced.classes,
    'entity_classes',
    'class',
    (name) => `no entity of class ${name}`,
  );
  if (emptyAnswer && referenced.properties.size > 0) {
    const known = new Set(await knownProperties(store, budget));
    for (const name of [...referenced.properties].sort())
      if (!known.has(name))
        warnings.push(`no entity or relationship has a property ${name}${didYouMean(name, known)}`);
  }
  return warnings;
}
