import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { runQuery, type QueryOptions } from '../../src/query/engine.js';
import { QueryError } from '../../src/query/errors.js';
import type { EntityResult, TableRow } from '../../src/query/results.js';
import { BACKENDS } from '../store/backends.js';
import { HOSTILE_NAME, HOSTILE_VALUE, keys, loadFixtureGraph, NOW } from './fixture-graph.js';

/** Strings that break SQL (and JSON paths) built by concatenation. */
const HOSTILE = [
  HOSTILE_VALUE,
  "x' OR '1'='1",
  '") OR 1=1; DELETE FROM relationships; --',
  '$1',
  '?',
  '$."displayName"',
  '\\',
  '%',
  "Robert'); DROP TABLE instances;--",
];

/** A J1QL single-quoted literal of any string. */
const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

describe.each(BACKENDS)('hostile input on $name', (backend) => {
  let store: GraphStore;
  let drop: () => Promise<void>;
  let before: { entities: number; relationships: number; instances: number };

  const counts = async () => {
    const [row] = await store.read<{ e: number | string; r: number | string; i: number | string }>(
      'SELECT (SELECT COUNT(*) FROM entities) AS e, (SELECT COUNT(*) FROM relationships) AS r, (SELECT COUNT(*) FROM instances) AS i',
      [],
    );
    return { entities: Number(row!.e), relationships: Number(row!.r), instances: Number(row!.i) };
  };

  beforeAll(async () => {
    const db = await backend.create('query-hostile');
    drop = db.drop;
    store = await openGraphStore(db.url);
    await loadFixtureGraph(store);
    before = await counts();
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  const run = (text: string, options: QueryOptions = {}) =>
    runQuery(store, text, { now: NOW, ...options });
  const listKeys = async (text: string, options: QueryOptions = {}) =>
    ((await run(text, options)).data as EntityResult[]).map((r) => String(r.entity._key));

  it('finds the hostile value through every string operator, and nothing else', async () => {
    const name = `[${HOSTILE_NAME}]`;
    for (const op of ['=', '~=', '^=', '$=']) {
      expect(
        await listKeys(`FIND HostAgent WITH ${name} ${op} ${quote(HOSTILE_VALUE)}`),
        op,
      ).toEqual([keys.machine('m2')]);
      expect(
        await listKeys(
          `FIND HostAgent WITH ${name} !${op === '=' ? '' : op.slice(0, 1)}= ${quote(HOSTILE_VALUE)}`,
        ),
      ).toHaveLength(2);
    }
    const rows = (
      await run(
        `FIND HostAgent AS h WHERE h.${name} = ${quote(HOSTILE_VALUE)} RETURN h.${name} AS v`,
      )
    ).data as TableRow[];
    expect(rows).toEqual([{ v: HOSTILE_VALUE }]);
  });

  it('binds hostile strings in every literal position and keeps the database intact', async () => {
    for (const text of HOSTILE) {
      const q = quote(text);
      const queries = [
        `FIND User WITH displayName = ${q}`,
        `FIND User WITH displayName != ${q} AND username ~= ${q}`,
        `FIND User WITH displayName ^= ${q} OR email $= ${q}`,
        `FIND User WITH displayName = (${q} OR ${q}) AND username !~= (${q} AND 'x')`,
        `FIND User AS u THAT IS User AS l WHERE u.username = ${q} OR l.accountName !^= ${q} RETURN u.username`,
        `FIND HostAgent AS m RETURN m.displayName, CONCAT(m.displayName, ${q}) AS c, COUNT(m) AS n HAVING n > 0`,
      ];
      for (const query of queries) await run(query);
      expect(await listKeys(`FIND User WITH displayName = ${q}`)).toEqual([]);
      // Parameters and placeholders carry any string as a value, and any name as a class/type.
      expect(
        await listKeys('FIND User WITH displayName = ${param.p}', { params: { p: text } }),
      ).toEqual([]);
      expect(await listKeys('FIND {{t}}', { params: { t: text } })).toEqual([]);
      expect(await listKeys('FIND User', { instance: text })).toEqual([]);
    }
    expect(await counts()).toEqual(before);
  });

  it('binds hostile property names (bracketed) in WITH, WHERE, RETURN and ORDER BY', async () => {
    for (const text of HOSTILE) {
      const name = `[${text.replace(/]/g, '')}]`;
      expect(await listKeys(`FIND User WITH ${name} = 'x' OR ${name} != undefined`)).toEqual([]);
      const rows = (
        await run(
          `FIND HostAgent AS h WHERE h.${name} = undefined RETURN h.${name} AS v, MAX(h.${name}) AS m ORDER BY v`,
        )
      ).data as TableRow[];
      expect(rows).toEqual([{ v: null, m: null }]);
      await run(`FIND HostAgent ORDER BY ${name} DESC`);
    }
    expect(await counts()).toEqual(before);
  });

  it('rejects a hostile regex or date with a query error, not a database error', async () => {
    await expect(run('FIND User WITH _createdOn > date(2019-99-99)')).rejects.toThrow(QueryError);
    await expect(run('FIND User WITH displayName = /(unclosed/')).rejects.toThrow(
      /invalid regular expression/,
    );
    expect(await counts()).toEqual(before);
  });
});
