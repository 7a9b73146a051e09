/**
 * Change rules: rules on what one sync changed (created, updated, deleted entities and
 * relationships) rather than on the current graph. Selection is a pure function of a change;
 * the J1QL narrowing and the snapshot reads take the store.
 */
import type { GraphStore } from '../store/index.js';
import { parseJson } from '../store/rows.js';
import type { QueryData } from './evaluate.js';
import type { ChangeKind, ChangeRule, Operation } from './rule-format.js';

/** One change with the object before and after it, as change-rule actions see it. */
export interface ChangeItem {
  change: ChangeKind;
  object: 'entity' | 'relationship';
  id: string;
  key: string;
  type: string;
  classes: string[];
  instanceId: string;
  syncId: number;
  fromKey?: string;
  toKey?: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  changedProperties: string[];
  /** Entity-shaped view (mapProperty, mapTemplate and TAG_ENTITIES read it). */
  entity: Record<string, unknown>;
  properties: Record<string, unknown>;
}

const asList = (value: string | string[] | undefined) =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

function sameValue(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return expected.some((e) => sameValue(actual, e));
  if (Array.isArray(actual)) return actual.some((a) => sameValue(a, expected));
  return actual === expected;
}

function matchesAll(
  values: Record<string, unknown> | undefined,
  wanted: Record<string, unknown>,
): boolean {
  return Object.entries(wanted).every(([name, expected]) =>
    sameValue(values?.[name] ?? null, expected),
  );
}

/** Whether the change is one the rule selects, before any J1QL narrowing. */
export function selectsChange(rule: ChangeRule['change'], item: ChangeItem): boolean {
  if (!rule.on.includes(item.change) || rule.object !== item.object) return false;
  const types = asList(rule._type);
  if (types && !types.includes(item.type)) return false;
  const classes = asList(rule._class);
  if (classes && !classes.some((c) => item.classes.includes(c))) return false;
  if (!matchesAll(item.after ?? item.before, rule.where)) return false;
  if (Object.keys(rule.whereBefore).length > 0 && !matchesAll(item.before, rule.whereBefore))
    return false;
  if (rule.changedProperties && item.change === 'updated')
    return rule.changedProperties.some((p) => item.changedProperties.includes(p));
  return true;
}

/** The operations a change rule without its own runs: raise an alert at its level when any change matched. */
export function defaultChangeOperations(rule: ChangeRule): Operation[] {
  return [
    {
      when: { type: 'FILTER', specVersion: 1, condition: '{{queries.changes.total > 0}}' },
      actions: [
        { type: 'SET_PROPERTY', targetProperty: 'alertLevel', targetValue: rule.alertLevel },
        { type: 'CREATE_ALERT' },
      ],
    },
  ];
}

interface SnapshotRow {
  key: string;
  id: string;
  type: string;
  classes?: unknown;
  class?: string;
  from_key?: string;
  to_key?: string;
  properties: unknown;
}

const CHUNK = 500;

async function snapshots(
  store: GraphStore,
  table: 'entities' | 'relationships',
  instanceId: string,
  keys: string[],
): Promise<Map<string, SnapshotRow>> {
  const columns =
    table === 'entities'
      ? 'key, id, type, classes, properties'
      : 'key, id, type, class, from_key, to_key, properties';
  const found = new Map<string, SnapshotRow>();
  const placeholder = (i: number) => (store.dialect === 'sqlite' ? '?' : `$${i + 2}`);
  for (let i = 0; i < keys.length; i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK);
    const rows = await store.read<SnapshotRow>(
      `SELECT ${columns} FROM ${table} WHERE instance_id = ${store.dialect === 'sqlite' ? '?' : '$1'}
       AND key IN (${chunk.map((_k, j) => placeholder(j)).join(', ')})`,
      [instanceId, ...chunk],
    );
    for (const row of rows) found.set(row.key, row);
  }
  return found;
}

/**
 * The changes one sync made, each with its object before and after (read from the committed
 * graph: the current row is the sync's version, the diff gives the values before).
 */
export async function changeItemsOfSync(store: GraphStore, syncId: number): Promise<ChangeItem[]> {
  const set = await store.changes([syncId]);
  const all = [
    ...set.created.map((c) => ({
      ...c,
      change: 'created' as const,
      diff: [] as { property: string; before?: unknown }[],
    })),
    ...set.updated.map((c) => ({ ...c, change: 'updated' as const, diff: c.changes })),
    ...set.deleted.map((c) => ({
      ...c,
      change: 'deleted' as const,
      diff: [] as { property: string; before?: unknown }[],
    })),
  ];
  const items: ChangeItem[] = [];
  for (const kind of ['entity', 'relationship'] as const) {
    const ofKind = all.filter((c) => c.kind === kind);
    const byInstance = new Map<string, string[]>();
    for (const c of ofKind)
      byInstance.set(c.instanceId, [...(byInstance.get(c.instanceId) ?? []), c.key]);
    const rows = new Map<string, SnapshotRow>();
    for (const [instanceId, keys] of byInstance)
      for (const [key, row] of await snapshots(
        store,
        kind === 'entity' ? 'entities' : 'relationships',
        instanceId,
        keys,
      ))
        rows.set(`${instanceId}\n${key}`, row);
    for (const c of ofKind) {
      const row = rows.get(`${c.instanceId}\n${c.key}`);
      if (!row) continue;
      const current = parseJson<Record<string, unknown>>(row.properties);
      const before = { ...current };
      for (const d of c.diff) {
        if (d.property.startsWith('_')) continue;
        if ('before' in d) before[d.property] = d.before;
        else delete before[d.property];
      }
      const classes = kind === 'entity' ? parseJson<string[]>(row.classes) : [row.class ?? ''];
      const visible = c.change === 'deleted' ? before : current;
      items.push({
        change: c.change,
        object: kind,
        id: row.id,
        key: c.key,
        type: c.type,
        classes,
        instanceId: c.instanceId,
        syncId: c.syncId,
        ...(row.from_key !== undefined && { fromKey: row.from_key, toKey: row.to_key }),
        ...(c.change !== 'created' && { before }),
        ...(c.change !== 'deleted' && { after: current }),
        changedProperties: c.diff.map((d) => d.property),
        entity: {
          _id: row.id,
          _key: c.key,
          _type: c.type,
          _class: kind === 'entity' ? classes : row.class,
          _integrationInstanceId: c.instanceId,
          displayName: visible.displayName,
        },
        properties: visible,
      });
    }
  }
  return items;
}

/** Keys of the entities a J1QL query returns (its list items). */
export type EntityKeysOf = (query: string) => Promise<Set<string>>;

/** The changes the rule selects, narrowed by its J1QL queries. */
export async function matchChangeRule(
  rule: ChangeRule,
  items: ChangeItem[],
  entityKeysOf: EntityKeysOf,
): Promise<QueryData> {
  const selected = items.filter((item) => selectsChange(rule.change, item));
  if (selected.length === 0) return { total: 0, data: [] };
  const { query, fromQuery, toQuery } = rule.change;
  const own = query ? await entityKeysOf(query) : undefined;
  const from = fromQuery ? await entityKeysOf(fromQuery) : undefined;
  const to = toQuery ? await entityKeysOf(toQuery) : undefined;
  const data = selected.filter(
    (item) =>
      (!own || own.has(item.key)) &&
      (!from || (item.fromKey !== undefined && from.has(item.fromKey))) &&
      (!to || (item.toKey !== undefined && to.has(item.toKey))),
  );
  return { total: data.length, data };
}
