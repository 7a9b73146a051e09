import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../../src/query/engine.js';
import type { EntityResult, QueryResult, TableRow } from '../../src/query/results.js';
import { keys, NOW } from './fixture-graph.js';
import { openTwoBackends, type Outcome, type TwoBackends } from './two-backends.js';

/**
 * Each defect of issue 9 as a case on SQLite and PostgreSQL at once: the same answer on both,
 * checked against a hand-computed expectation, or the same positioned J1QL error.
 */
describe('one answer on both backends', () => {
  let backends: TwoBackends;
  beforeAll(async () => {
    backends = await openTwoBackends('query-one-answer');
  });
  afterAll(async () => backends?.close());

  /** The answer, after checking both backends agree on it. */
  const agreed = async (text: string, options = {}): Promise<Outcome> => {
    const [sqlite, postgres] = await backends.outcomes(text, options);
    expect(postgres, text).toEqual(sqlite);
    return sqlite!;
  };
  const data = async (text: string, options = {}) => {
    const outcome = await agreed(text, options);
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    return (outcome as { result: QueryResult }).result;
  };
  const listKeys = async (text: string) =>
    ((await data(text)).data as EntityResult[]).map((e) => e.entity._key);
  const error = async (text: string, kind: string, message: RegExp) => {
    const outcome = await agreed(text);
    expect(outcome).toEqual({ ok: false, kind, message: expect.stringMatching(message) });
  };

  it('keeps backslashes that do not escape a quote or a backslash', async () => {
    expect(
      await listKeys("FIND microsoft_defender_logon_user WITH displayName = 'corp\\alice'"),
    ).toEqual([keys.logon('corp\\alice')]);
    expect(
      await listKeys("FIND microsoft_defender_logon_user WITH displayName = 'corp\\\\alice'"),
    ).toEqual([keys.logon('corp\\alice')]);
    expect(await listKeys("FIND User WITH displayName = 'it\\'s'")).toEqual([]);
  });

  it('matches JavaScript regular expressions the same way on both', async () => {
    const m = (id: string) => keys.machine(id);
    expect(await listKeys('FIND HostAgent WITH displayName = /\\bws-/')).toEqual([
      m('m1'),
      m('m2'),
    ]);
    expect(await listKeys('FIND HostAgent WITH displayName = /^[a-z]+-\\d{3}$/')).toEqual(
      [m('m3'), m('m1'), m('m2')].sort(),
    );
    // JavaScript reads [[:alpha:]] as a class of "[:alph" followed by "]": nothing matches.
    expect(await listKeys('FIND HostAgent WITH displayName = /[[:alpha:]]+-/')).toEqual([]);
    // \Q and \E are identity escapes in JavaScript: the pattern is "QwsE".
    expect(await listKeys('FIND HostAgent WITH displayName = /\\Qws\\E/')).toEqual([]);
    expect(await listKeys('FIND HostAgent WITH displayName = /WS.0{2}1/i')).toEqual([m('m1')]);
    expect(await listKeys('FIND HostAgent WITH displayName = /^(?:srv|ws)-00[^12]$/')).toEqual([
      m('m3'),
    ]);
    await error(
      'FIND HostAgent WITH displayName = /(?<n>w)\\k<n>/',
      'QueryValidationError',
      /^line 1, column 21: invalid regular expression .*named back-references/,
    );
    // Found by the differential test: JavaScript repeats a lookahead, PostgreSQL refuses to.
    await error(
      'FIND HostAgent WITH displayName = /(?=)+w/',
      'QueryValidationError',
      /^line 1, column 21: .*a repeated lookahead/,
    );
    await error(
      'FIND HostAgent WITH displayName = /a{1,300}/',
      'QueryValidationError',
      /^line 1, column 21: .*repetition count above 255/,
    );
  });

  it('orders ties by _key, so LIMIT and pages cut at the same rows, and cursors never skip or repeat', async () => {
    const all = await listKeys('FIND User');
    expect(all).toEqual([...all].sort());
    expect(await listKeys('FIND User LIMIT 2')).toEqual(all.slice(0, 2));
    const rows = (await data('FIND HostAgent AS m RETURN m.osPlatform AS os LIMIT 2'))
      .data as TableRow[];
    expect(rows).toEqual([{ os: 'Linux' }, { os: 'Windows10' }]);
    for (const store of backends.stores) {
      const seen: unknown[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await runQuery(store, 'FIND User', { now: NOW, defaultLimit: 2, cursor });
        seen.push(...(page.data as EntityResult[]).map((e) => e.entity._key));
        expect(page.truncated).toBe(page.cursor === undefined ? undefined : true);
        cursor = page.cursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual(all);
      expect(pages).toBe(Math.ceil(all.length / 2));
    }
    const tree = await data('FIND HostAgent THAT MANAGES Device RETURN TREE LIMIT 2');
    const vertices = (tree.data as { vertices: EntityResult[] }).vertices.map((v) => v.entity._key);
    expect(vertices).toEqual([
      keys.machine('m1'),
      keys.device('m1'),
      keys.machine('m2'),
      keys.device('m2'),
    ]);
  });

  it('refuses a cursor of another query', async () => {
    const [store] = backends.stores;
    const first = await runQuery(store!, 'FIND User', { now: NOW, defaultLimit: 1 });
    await expect(
      runQuery(store!, 'FIND HostAgent', { now: NOW, cursor: first.cursor }),
    ).rejects.toThrow('cursor: it belongs to a different query');
  });

  it('counts an empty array as no value, and returns columns in the same order', async () => {
    expect(
      (await data('FIND HostAgent AS m RETURN COUNT(m.machineTags) AS tagged, COUNT(m) AS all'))
        .data,
    ).toEqual([{ tagged: 1, all: 3 }]);
    const row = (
      (await data("FIND HostAgent AS m WITH displayName = 'ws-001' RETURN m.*")).data as TableRow[]
    )[0]!;
    const properties = Object.keys(row).filter((k) => !k.startsWith('m._'));
    expect(properties).toEqual([...properties].sort());
  });

  it('makes doubtful forms errors with a position', async () => {
    await error(
      'FIND User AS a AS b',
      'QuerySyntaxError',
      /^line 1, column 19: a second alias \(b\)/,
    );
    await error(
      'FIND User AS a WITH active = true AS b',
      'QuerySyntaxError',
      /column 38: a second alias/,
    );
    await error(
      'FIND User THAT HAS >> << *',
      'QuerySyntaxError',
      /^line 1, column 23: a second direction/,
    );
    await error(
      'FIND User RETURN TREE ORDER BY nothing',
      'QueryValidationError',
      /column 32: RETURN TREE has no row order/,
    );
    await error(
      'FIND User AS u RETURN u.username AS n, u.displayName AS n',
      'QueryValidationError',
      /names the column n twice/,
    );
    await error(
      'FIND User AS u RETURN u.*, u.username',
      'QueryValidationError',
      /column u.username twice/,
    );
  });

  it('answers what used to leak a driver error', async () => {
    expect((await data('FIND User AS x RETURN x._integrationName LIMIT 1')).data).toEqual([
      { 'x._integrationName': 'contoso' },
    ]);
    expect((await data('FIND HostAgent RETURN 1 AS x')).data).toEqual([
      { x: 1 },
      { x: 1 },
      { x: 1 },
    ]);
    expect(
      (await data("FIND HostAgent AS m RETURN CONCAT() AS c, ABS('x') AS a LIMIT 1")).data,
    ).toEqual([{ c: '', a: null }]);
    expect(await listKeys("FIND User WITH [\\0] = 'x'")).toEqual([]);
    expect((await data('FIND Account AS a RETURN a.[\\0] AS v')).data).toEqual([{ v: null }]);
    // An aliased optional traversal followed by a two-way step (corpus lines 2037 and 2142).
    expect(
      (
        await data(
          'FIND microsoft_defender_logon_user AS l (THAT IS User AS u)? THAT RELATES TO HostAgent AS m RETURN l.accountName AS a, u._key AS k, m.displayName AS d',
        )
      ).data,
    ).toEqual([
      { a: 'alice', k: null, d: 'ws-001' },
      { a: 'alice', k: null, d: 'ws-002' },
      { a: 'svc-backup', k: null, d: 'srv-003' },
    ]);
    const ors = Array.from({ length: 3000 }, (_, i) => `displayName = 'x${i}'`).join(' OR ');
    expect(await listKeys(`FIND HostAgent WITH ${ors} OR displayName = 'ws-002'`)).toEqual([
      keys.machine('m2'),
    ]);
    const set = Array.from({ length: 3000 }, (_, i) => `'x${i}'`).join(' OR ');
    expect(await listKeys(`FIND HostAgent WITH displayName = (${set} OR 'ws-001')`)).toEqual([
      keys.machine('m1'),
    ]);
  });

  it('refuses what the databases cannot hold or count, with a position', async () => {
    await error(
      'FIND User LIMIT 1e30',
      'QuerySyntaxError',
      /^line 1, column 17: SKIP and LIMIT take a whole number/,
    );
    await error(
      'FIND User SKIP 1e-400',
      'QuerySyntaxError',
      /^line 1, column 16: SKIP and LIMIT take a whole number/,
    );
    await error(
      'FIND User LIMIT 2.5',
      'QuerySyntaxError',
      /column 17: SKIP and LIMIT take a whole number/,
    );
    const deep = `FIND User WITH ${'('.repeat(5000)}active = true${')'.repeat(5000)}`;
    await error(deep, 'QuerySyntaxError', /^line 1, column 116: nested more than 100 levels deep/);
    await error(
      `FIND User AS u RETURN ${'-'.repeat(5000)}1 AS x`,
      'QuerySyntaxError',
      /nested more than 100/,
    );
    // The store keeps NUL escaped (store/stored-json.ts): such strings compare on both backends.
    expect(await listKeys("FIND User WITH name = 'a\u0000b'")).toEqual([]);
    expect(
      (await data('FIND User WITH name = ${param.n}', { params: { n: 'a\u0000' } })).data,
    ).toEqual([]);
    const many = Array.from({ length: 400 }, (_, i) => `u.p${i}`).join(', ');
    await error(
      `FIND User AS u RETURN ${many}`,
      'QueryValidationError',
      /asks for 400 values; at most 300/,
    );
  });

  it('cancels a query past its row budget or its time budget, saying which', async () => {
    const rows = await agreed('FIND * LIMIT 10', { maxRows: 5 });
    expect(rows).toEqual({
      ok: false,
      kind: 'QueryBudgetError',
      message: 'the query returns more than its row budget of 5 rows: lower LIMIT or use pages',
    });
    const sorted = await agreed('FIND * AS e RETURN CONCAT(e._key) AS k ORDER BY k', {
      maxRows: 5,
    });
    expect(sorted).toMatchObject({ ok: false, kind: 'QueryBudgetError' });
    // Paths multiply with every two-way hop: far past 50 ms on either database.
    const explosive = `FIND * AS a${' THAT RELATES TO *'.repeat(9)} RETURN COUNT(a)`;
    const timed = await agreed(explosive, { timeoutMs: 50 });
    expect(timed).toEqual({
      ok: false,
      kind: 'QueryBudgetError',
      message: 'the query ran longer than its time budget of 50 ms and was cancelled',
    });
  });

  it('finds entities by full-text search, the same on both', async () => {
    const m = (id: string) => keys.machine(id);
    expect(await listKeys('FIND "ws-001"')).toEqual([m('m1')]);
    expect(await listKeys('FIND "microsoft_defender_machine 10.0.0.1"')).toEqual([m('m1')]);
    expect(await listKeys('FIND "CORP"')).toEqual(
      [
        keys.logon('corp\\alice'),
        keys.logon('corp\\svc-backup'),
        keys.user('u1'),
        keys.user('u2'),
      ].sort(),
    );
    expect(await listKeys("'alice' WITH _type = 'microsoft_defender_user'")).toEqual([
      keys.user('u1'),
    ]);
    expect(await listKeys('FIND "dave"')).toEqual([]);
    expect(
      (
        await data(
          'FIND "CVE-2024-0001" AS f THAT IDENTIFIED << HostAgent AS m RETURN m.displayName AS d',
        )
      ).data,
    ).toEqual([{ d: 'ws-001' }, { d: 'ws-002' }]);
    const placeholder = await data('FIND "{{term}}"', { params: { term: 'ws-002' } });
    expect((placeholder.data as EntityResult[]).map((e) => e.entity._key)).toEqual([m('m2')]);
    await error('FIND "--"', 'QueryValidationError', /the term has no letters or digits/);
  });
});
