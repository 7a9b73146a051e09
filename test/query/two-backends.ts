import { expect } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { runQuery, type QueryOptions } from '../../src/query/engine.js';
import { QueryError } from '../../src/query/errors.js';
import { BACKENDS } from '../store/backends.js';
import { loadFixtureGraph, NOW } from './fixture-graph.js';

/**
 * The fixture graph on SQLite and on PostgreSQL side by side, and a query's outcome on each in a
 * form that compares across them: ids (assigned by each database) become the object's key.
 */
export interface TwoBackends {
  stores: GraphStore[];
  /** The outcome on every backend, normalised; throws if an error is not a clean J1QL error. */
  outcomes(text: string, options?: QueryOptions): Promise<Outcome[]>;
  close(): Promise<void>;
}

export type Outcome = { ok: true; result: unknown } | { ok: false; kind: string; message: string };

/** Words of SQL and of the drivers' messages: none may reach a J1QL error. */
export const SQL_LEAK =
  /\b(SELECT|FROM entities|json_each|jsonb|json_extract|SQLITE_|syntax error at or near|near "|no such (table|column|function)|UNION|relation "|column "|operator does not exist|invalid input syntax|bad JSON path|Expression tree|Maximum call stack)\b/i;

async function idNames(store: GraphStore): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const table of ['entities', 'relationships'])
    for (const row of await store.read<{ id: string; key: string }>(
      `SELECT id, key FROM ${table}`,
      [],
    ))
      names.set(row.id, `${table}:${row.key}`);
  for (const row of await store.read<{ id: string; name: string }>(
    'SELECT id, name FROM instances',
    [],
  ))
    names.set(row.id, `instance:${row.name}`);
  return names;
}

function normalise(value: unknown, names: Map<string, string>): unknown {
  if (typeof value === 'string') return names.get(value) ?? value;
  // AVG is a double on SQLite and a numeric on PostgreSQL.
  if (typeof value === 'number') return Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map((v) => normalise(v, names));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        // Commit times come from each sync's clock.
        k === 'cursor' || (/_(createdOn|beginOn|endOn)$/.test(k) && typeof v === 'number')
          ? k
          : normalise(v, names),
      ]),
    );
  return value;
}

export async function openTwoBackends(label: string): Promise<TwoBackends> {
  const opened = await Promise.all(
    BACKENDS.map(async (backend) => {
      const db = await backend.create(label);
      const store = await openGraphStore(db.url);
      await loadFixtureGraph(store);
      return { store, drop: db.drop, names: await idNames(store) };
    }),
  );
  return {
    stores: opened.map((o) => o.store),
    async outcomes(text, options = {}) {
      const outcomes: Outcome[] = [];
      for (const { store, names } of opened) {
        try {
          const result = await runQuery(store, text, { now: NOW, timeoutMs: 10_000, ...options });
          outcomes.push({ ok: true, result: normalise(result, names) });
        } catch (err) {
          expect(err, `${store.dialect}: ${text}`).toBeInstanceOf(QueryError);
          const message = (err as Error).message;
          expect(message, `${store.dialect}: ${text}`).not.toMatch(SQL_LEAK);
          outcomes.push({ ok: false, kind: (err as Error).name, message });
        }
      }
      return outcomes;
    },
    async close() {
      for (const { store, drop } of opened) {
        await store.close();
        await drop();
      }
    },
  };
}
