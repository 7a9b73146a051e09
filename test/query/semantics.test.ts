import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { runQuery, type QueryOptions } from '../../src/query/engine.js';
import { NotSupportedError, QueryValidationError } from '../../src/query/errors.js';
import type { EntityResult, QueryResult, TableRow } from '../../src/query/results.js';
import { BACKENDS } from '../store/backends.js';
import { keys, loadFixtureGraph, NOW } from './fixture-graph.js';

describe.each(BACKENDS)('J1QL semantics on $name', (backend) => {
  let store: GraphStore;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await backend.create('query-semantics');
    drop = db.drop;
    store = await openGraphStore(db.url);
    await loadFixtureGraph(store);
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  const run = (text: string, options: QueryOptions = {}) =>
    runQuery(store, text, { now: NOW, ...options });
  const listKeys = async (text: string, options: QueryOptions = {}) => {
    const result = await run(text, options);
    expect(result.type).toBe('list');
    return (result.data as EntityResult[]).map((r) => String(r.entity._key)).sort();
  };
  const table = async (text: string, options: QueryOptions = {}): Promise<TableRow[]> => {
    const result: QueryResult = await run(text, options);
    expect(result.type).toBe('table');
    return result.data as TableRow[];
  };
  const column = async (text: string, name: string) =>
    (await table(text))
      .map((r) => r[name])
      .sort((a, b) => (a === null ? 1 : b === null ? -1 : String(a).localeCompare(String(b))));

  const USERS = [keys.user('u1'), keys.user('u2'), keys.user('u3')];
  const LOGONS = [keys.logon('corp\\alice'), keys.logon('corp\\svc-backup')];

  it('matches classes by an upper-case first character and types otherwise', async () => {
    expect(await listKeys('FIND User')).toEqual([...LOGONS, ...USERS].sort());
    expect(await listKeys('FIND microsoft_defender_user')).toEqual(USERS);
    expect(await listKeys('FIND (UserGroup|user_endpoint)')).toEqual([
      keys.group('g1'),
      keys.group('g2'),
      keys.device('m1'),
      keys.device('m2'),
      keys.device('m3'),
    ]);
    expect(await listKeys('FIND user')).toEqual([]);
    expect(await listKeys('FIND * WITH _type = "microsoft_defender_account"')).toEqual([
      keys.account,
    ]);
  });

  it('gives the JupiterOne list shape with metadata', async () => {
    const result = await run("FIND microsoft_defender_user WITH username = 'alice'");
    const [alice] = result.data as EntityResult[];
    expect(alice!.id).toBe(alice!.entity._id);
    expect(alice!.entity).toMatchObject({
      _key: keys.user('u1'),
      _type: 'microsoft_defender_user',
      _class: ['User'],
      _deleted: false,
      _version: 1,
      _source: 'integration-managed',
      _integrationName: 'contoso',
      displayName: 'Alice',
    });
    expect(alice!.properties).toMatchObject({
      email: ['alice@corp.example', 'a@corp.example'],
      active: true,
    });
  });

  it('compares strictly by type: strings, numbers, booleans', async () => {
    expect(await listKeys('FIND HostAgent WITH rbacGroupId = 7')).toEqual([
      keys.machine('m1'),
      keys.machine('m3'),
    ]);
    expect(await listKeys("FIND HostAgent WITH rbacGroupId = '7'")).toEqual([]);
    expect(await listKeys('FIND microsoft_defender_user WITH active = false')).toEqual([
      keys.user('u2'),
    ]);
    expect(await listKeys("FIND microsoft_defender_user WITH active = 'false'")).toEqual([]);
    expect(await listKeys('FIND Finding WITH cvssScore >= 5 AND cvssScore < 9.8')).toEqual([
      keys.vuln('CVE-2024-0002'),
    ]);
  });

  it('implements the string operators and their negations', async () => {
    expect(await listKeys("FIND HostAgent WITH displayName ~= 'ws'")).toEqual([
      keys.machine('m1'),
      keys.machine('m2'),
    ]);
    expect(await listKeys("FIND HostAgent WITH displayName ^= 'srv'")).toEqual([
      keys.machine('m3'),
    ]);
    expect(await listKeys("FIND HostAgent WITH displayName $= '002'")).toEqual([
      keys.machine('m2'),
    ]);
    expect(await listKeys("FIND HostAgent WITH displayName !~= 'ws'")).toEqual([
      keys.machine('m3'),
    ]);
    expect(await listKeys("FIND HostAgent WITH displayName !^= 'ws'")).toEqual([
      keys.machine('m3'),
    ]);
    expect(await listKeys("FIND HostAgent WITH displayName !$= '3'")).toEqual([
      keys.machine('m1'),
      keys.machine('m2'),
    ]);
    // Values are case-sensitive.
    expect(await listKeys("FIND HostAgent WITH displayName ~= 'WS'")).toEqual([]);
  });

  it('tells the string operators apart by where the match is: middle, start, end, whole value', async () => {
    const [m1, m2, m3] = ['m1', 'm2', 'm3'].map((m) => keys.machine(m));
    // displayName: m1 'ws-001', m2 'ws-002', m3 'srv-003'.
    const cases: [string, Record<'=' | '~=' | '^=' | '$=', string[]>][] = [
      ['s-00', { '=': [], '~=': [m1!, m2!], '^=': [], '$=': [] }],
      ['srv', { '=': [], '~=': [m3!], '^=': [m3!], '$=': [] }],
      ['003', { '=': [], '~=': [m3!], '^=': [], '$=': [m3!] }],
      ['ws-002', { '=': [m2!], '~=': [m2!], '^=': [m2!], '$=': [m2!] }],
      // Longer than the value, which it ends with.
      ['xws-001', { '=': [], '~=': [], '^=': [], '$=': [] }],
    ];
    for (const [probe, expected] of cases) {
      for (const [op, matching] of Object.entries(expected)) {
        const query = `FIND HostAgent WITH displayName ${op} '${probe}'`;
        expect([query, await listKeys(query)]).toEqual([query, matching]);
        const negated = `FIND HostAgent WITH displayName ${op === '=' ? '!=' : `!${op}`} '${probe}'`;
        const rest = [m1!, m2!, m3!].filter((k) => !matching.includes(k));
        expect([negated, await listKeys(negated)]).toEqual([negated, rest]);
      }
    }
  });

  it('tells the string operators apart between two properties (WHERE)', async () => {
    // A logon user's displayName is `domain\accountName`; Alice's emails have `corp` inside.
    const logons = async (where: string) =>
      column(
        `FIND microsoft_defender_logon_user AS l THAT IS microsoft_defender_user AS u WHERE ${where} RETURN l.displayName`,
        'l.displayName',
      );
    const both = async (where: string) =>
      column(
        `FIND microsoft_defender_logon_user AS l WHERE ${where} RETURN l.displayName`,
        'l.displayName',
      );
    const all = ['corp\\alice', 'corp\\svc-backup'];
    expect(await logons('u.email ~= l.domain')).toEqual(['corp\\alice']);
    expect(await logons('u.email ^= l.domain')).toEqual([]);
    expect(await logons('u.email $= l.domain')).toEqual([]);
    expect(await both('l.displayName ^= l.domain')).toEqual(all);
    expect(await both('l.displayName ~= l.domain')).toEqual(all);
    expect(await both('l.displayName $= l.domain')).toEqual([]);
    expect(await both('l.displayName $= l.accountName')).toEqual(all);
    expect(await both('l.displayName ^= l.accountName')).toEqual([]);
    expect(await logons('u.username ^= l.accountName')).toEqual(['corp\\alice']);
    expect(await logons('u.username $= l.accountName')).toEqual(['corp\\alice']);
    expect(await logons('u.username = l.accountName')).toEqual(['corp\\alice']);
    expect(await logons('u.username != l.accountName')).toEqual([]);
  });

  it('treats arrays as "any element", and negations as "no element" (missing counts as no match)', async () => {
    expect(await listKeys("FIND microsoft_defender_user WITH email = 'a@corp.example'")).toEqual([
      keys.user('u1'),
    ]);
    expect(await listKeys("FIND microsoft_defender_user WITH email != 'a@corp.example'")).toEqual([
      keys.user('u2'),
      keys.user('u3'),
    ]);
    expect(await listKeys("FIND HostAgent WITH ipAddress ^= '192.168.'")).toEqual([
      keys.machine('m1'),
    ]);
    expect(await listKeys("FIND HostAgent WITH ipAddress !~= '10.0.0'")).toEqual([
      keys.machine('m2'),
    ]);
    // `!=` is true for a missing property; `>` is not.
    expect(await listKeys('FIND Finding WITH exploitable != true')).toEqual([
      keys.vuln('CVE-2024-0002'),
      keys.vuln('CVE-2024-0003'),
    ]);
    expect(await listKeys('FIND microsoft_defender_user WITH employeeId > 0')).toEqual([]);
  });

  it('handles undefined, value sets and De Morgan', async () => {
    expect(await listKeys('FIND microsoft_defender_user WITH email = undefined')).toEqual([
      keys.user('u3'),
    ]);
    expect(await listKeys('FIND microsoft_defender_user WITH employeeId != undefined')).toEqual([
      keys.user('u1'),
      keys.user('u3'),
    ]);
    expect(await listKeys("FIND HostAgent WITH osPlatform = ('Linux' OR 'Windows11')")).toEqual([
      keys.machine('m2'),
      keys.machine('m3'),
    ]);
    expect(await listKeys("FIND HostAgent WITH osPlatform != ('Linux' OR 'Windows11')")).toEqual([
      keys.machine('m1'),
    ]);
    expect(
      await listKeys("FIND HostAgent WITH ipAddress = ('10.0.0.1' AND '192.168.1.5')"),
    ).toEqual([keys.machine('m1')]);
    // A value set of strings, numbers, booleans and undefined is the OR of its comparisons.
    for (const [set, expanded] of [
      [
        "ipAddress = ('192.168.1.5' OR '10.0.0.3' OR 7)",
        "ipAddress = '192.168.1.5' OR ipAddress = '10.0.0.3' OR ipAddress = 7",
      ],
      [
        "rbacGroupId = (7 OR '7' OR true OR undefined)",
        "rbacGroupId = 7 OR rbacGroupId = '7' OR rbacGroupId = true OR rbacGroupId = undefined",
      ],
    ])
      expect(await listKeys(`FIND HostAgent WITH ${set}`)).toEqual(
        await listKeys(`FIND HostAgent WITH ${expanded}`),
      );
    expect(await listKeys("FIND HostAgent WITH ipAddress = ('192.168.1.5' OR '10.0.0.3')")).toEqual(
      [keys.machine('m1'), keys.machine('m3')],
    );
    expect(await listKeys('FIND HostAgent WITH rbacGroupId = (7 OR 8)')).toEqual([
      keys.machine('m1'),
      keys.machine('m3'),
    ]);
    // != (a AND b) ≡ != a OR != b: every machine lacks at least one of the two.
    expect(await listKeys("FIND HostAgent WITH ipAddress != ('10.0.0.1' AND '10.0.0.3')")).toEqual([
      keys.machine('m1'),
      keys.machine('m2'),
      keys.machine('m3'),
    ]);
  });

  it('gives AND precedence over OR, and respects parentheses', async () => {
    const q1 =
      "FIND HostAgent WITH osPlatform = 'Linux' OR riskScore = 'High' AND healthStatus = 'Inactive'";
    expect(await listKeys(q1)).toEqual([keys.machine('m3')]);
    const q2 =
      "FIND HostAgent WITH (osPlatform = 'Linux' OR riskScore = 'High') AND healthStatus = 'Active'";
    expect(await listKeys(q2)).toEqual([keys.machine('m1'), keys.machine('m3')]);
  });

  it('does date math relative to date.now, and reads ISO dates', async () => {
    expect(await listKeys('FIND HostAgent WITH lastSeenOn > date.now - 7 days')).toEqual([
      keys.machine('m1'),
      keys.machine('m3'),
    ]);
    expect(await listKeys('FIND HostAgent WITH lastSeenOn < date.now-1month')).toEqual([
      keys.machine('m2'),
    ]);
    expect(await listKeys('FIND HostAgent WITH lastSeenOn > date(2026-11-28)')).toEqual([
      keys.machine('m1'),
    ]);
    expect(await listKeys('FIND HostAgent WITH lastSeenOn > date.now - 36 hours')).toEqual([
      keys.machine('m1'),
    ]);
  });

  it('filters on metadata columns: _key, _class, _createdOn, _version, _source, _deleted', async () => {
    expect(await listKeys(`FIND * WITH _key = '${keys.user('u2')}'`)).toEqual([keys.user('u2')]);
    expect(await listKeys("FIND * WITH _class = 'Account'")).toEqual([keys.account]);
    expect(
      await listKeys('FIND User WITH _createdOn > date.now - 1 day', { now: Date.now() }),
    ).toEqual([...LOGONS, ...USERS].sort());
    expect(await listKeys('FIND User WITH _version > 1')).toEqual([]);
    expect(await listKeys("FIND HostAgent WITH _source != 'integration-managed'")).toEqual([]);
  });

  it('hides deleted entities unless asked', async () => {
    expect(await listKeys("FIND microsoft_defender_user WITH username = 'dave'")).toEqual([]);
    expect(
      await listKeys("FIND microsoft_defender_user WITH username = 'dave'", {
        includeDeleted: true,
      }),
    ).toEqual([keys.user('u4')]);
    const deleted = await run('FIND * WITH _deleted = true', { includeDeleted: true });
    expect((deleted.data as EntityResult[]).map((r) => r.entity._deleted)).toEqual([true]);
  });

  it('reads properties with dots in their names', async () => {
    expect(await listKeys("FIND HostAgent WITH tag.AccountName = 'prod'")).toEqual([
      keys.machine('m1'),
    ]);
    expect(await listKeys("FIND HostAgent WITH [tag.AccountName] = 'dev'")).toEqual([
      keys.machine('m3'),
    ]);
    expect(
      await column('FIND HostAgent AS h RETURN h.tag.AccountName', 'h.tag.AccountName'),
    ).toEqual(['dev', 'prod', null]);
  });

  it('traverses in both directions by default, and honours >> and <<', async () => {
    const out = 'FIND HostAgent THAT HAS microsoft_defender_logon_user';
    expect(await listKeys(out)).toEqual([
      keys.machine('m1'),
      keys.machine('m2'),
      keys.machine('m3'),
    ]);
    expect(await listKeys('FIND microsoft_defender_logon_user THAT HAS HostAgent')).toEqual(LOGONS);
    expect(await listKeys('FIND microsoft_defender_logon_user THAT HAS << HostAgent')).toEqual(
      LOGONS,
    );
    expect(await listKeys('FIND microsoft_defender_logon_user THAT HAS >> HostAgent')).toEqual([]);
    expect(await listKeys('FIND UserGroup THAT HAS >> UserGroup')).toEqual([keys.group('g1')]);
  });

  it('traverses any verb with RELATES TO, and verb groups', async () => {
    expect(await listKeys('FIND user_endpoint THAT RELATES TO HostAgent')).toEqual([
      keys.device('m1'),
      keys.device('m2'),
      keys.device('m3'),
    ]);
    expect(
      await listKeys('FIND HostAgent THAT (MANAGES|IDENTIFIED) (user_endpoint|Finding) AS x'),
    ).toEqual([keys.machine('m1'), keys.machine('m2'), keys.machine('m3')]);
    expect(
      await listKeys('FIND Finding THAT IDENTIFIED|HAS HostAgent').catch((e: Error) => e.message),
    ).toMatch(/found '\|'/);
  });

  it('finds users in no group, and logon users with no directory user (negated traversals)', async () => {
    expect(await listKeys('FIND microsoft_defender_user THAT !HAS UserGroup')).toEqual([
      keys.user('u3'),
    ]);
    expect(
      await listKeys('FIND microsoft_defender_logon_user THAT !IS microsoft_defender_user'),
    ).toEqual([keys.logon('corp\\svc-backup')]);
    // A negated step with a WITH inside it, and a negation over the rest of the chain.
    expect(
      await listKeys("FIND HostAgent THAT !IDENTIFIED Finding WITH severity = 'High'"),
    ).toEqual([keys.machine('m3')]);
    expect(
      await listKeys(
        'FIND HostAgent THAT !HAS microsoft_defender_logon_user THAT IS microsoft_defender_user',
      ),
    ).toEqual([keys.machine('m3')]);
    // Nested: machines none of whose logon users lacks a directory user.
    expect(
      await listKeys(
        'FIND HostAgent THAT !HAS microsoft_defender_logon_user THAT !IS microsoft_defender_user',
      ),
    ).toEqual([keys.machine('m1'), keys.machine('m2')]);
  });

  it('returns one row per path, with UNIQUE removing duplicates', async () => {
    const rows = await table(
      'FIND microsoft_defender_user AS u THAT IS microsoft_defender_logon_user THAT HAS HostAgent AS m THAT IDENTIFIED Finding AS f RETURN u.username, m.displayName, f.displayName ORDER BY f.displayName',
    );
    // ORDER BY f leaves the order of two rows with the same CVE to the database's plan.
    expect(rows.map((r) => r['f.displayName'])).toEqual([
      'CVE-2024-0001',
      'CVE-2024-0001',
      'CVE-2024-0002',
    ]);
    const byCveThenMachine = (a: TableRow, b: TableRow) =>
      String(a['f.displayName']).localeCompare(String(b['f.displayName'])) ||
      String(a['m.displayName']).localeCompare(String(b['m.displayName']));
    expect([...rows].sort(byCveThenMachine)).toEqual([
      { 'u.username': 'alice', 'm.displayName': 'ws-001', 'f.displayName': 'CVE-2024-0001' },
      { 'u.username': 'alice', 'm.displayName': 'ws-002', 'f.displayName': 'CVE-2024-0001' },
      { 'u.username': 'alice', 'm.displayName': 'ws-001', 'f.displayName': 'CVE-2024-0002' },
    ]);
    const unique = await table(
      'FIND UNIQUE microsoft_defender_user AS u THAT IS microsoft_defender_logon_user THAT HAS HostAgent THAT IDENTIFIED Finding RETURN u.username',
    );
    expect(unique).toEqual([{ 'u.username': 'alice' }]);
  });

  it('filters across aliases with WHERE, including relationship properties and alias-to-alias', async () => {
    expect(
      await column(
        'FIND HostAgent AS m THAT HAS AS seen microsoft_defender_logon_user AS l WHERE seen.lastSeenOn > 1790000000000 AND l.accountName = "alice" RETURN m.displayName',
        'm.displayName',
      ),
    ).toEqual(['ws-001', 'ws-002']);
    expect(
      await column(
        `FIND HostAgent AS m THAT HAS AS seen microsoft_defender_logon_user WHERE seen.lastSeenOn > ${NOW - 7 * 86_400_000} RETURN m.displayName`,
        'm.displayName',
      ),
    ).toEqual(['srv-003', 'ws-001']);
    expect(
      await column(
        'FIND microsoft_defender_user AS u THAT IS microsoft_defender_logon_user AS l WHERE u.username = l.accountName RETURN l.displayName',
        'l.displayName',
      ),
    ).toEqual(['corp\\alice']);
    // The verb is a default alias (case-insensitive).
    expect(
      await column(
        'FIND HostAgent AS m THAT IDENTIFIED Finding WHERE identified.fixingKbId = "KB500" RETURN m.displayName',
        'm.displayName',
      ),
    ).toEqual(['ws-001', 'ws-002']);
  });

  it('aggregates with the grouping rules: COUNT by osPlatform, COUNT distinct, MIN/MAX/AVG/SUM', async () => {
    const byRisk = await table(
      'FIND HostAgent AS m RETURN m.riskScore AS risk, COUNT(m) AS n ORDER BY risk',
    );
    expect(byRisk).toEqual([
      { risk: 'High', n: 1 },
      { risk: 'Low', n: 1 },
      { risk: 'Medium', n: 1 },
    ]);
    const byPlatform = await table(
      'FIND HostAgent WITH rbacGroupId = 7 AS m RETURN m.rbacGroupId, count(m)',
    );
    expect(byPlatform).toEqual([{ 'm.rbacGroupId': 7, 'count(m)': 2 }]);
    // COUNT counts distinct entities per group, not paths.
    const perCve = await table(
      'FIND HostAgent AS m THAT IDENTIFIED Finding AS f RETURN f.displayName AS cve, count(m) AS machines, count(f) AS findings ORDER BY machines DESC',
    );
    expect(perCve).toEqual([
      { cve: 'CVE-2024-0001', machines: 2, findings: 1 },
      { cve: 'CVE-2024-0002', machines: 1, findings: 1 },
      { cve: 'CVE-2024-0003', machines: 1, findings: 1 },
    ]);
    const whole = await table(
      'FIND HostAgent AS m THAT IDENTIFIED Finding AS f RETURN count(m) AS machines, count(f) AS cves, max(f.cvssScore) AS worst, min(f.cvssScore) AS least, sum(f.cvssScore) AS total, avg(f.cvssScore) AS mean',
    );
    // SUM/AVG count each CVE once, however many machines have it: 9.8 + 5 + 2.5.
    expect(whole).toEqual([
      { machines: 3, cves: 3, worst: 9.8, least: 2.5, total: 17.3, mean: 17.3 / 3 },
    ]);
    expect(
      await table('FIND HostAgent WITH osPlatform = "none" AS m RETURN count(m) AS n'),
    ).toEqual([{ n: 0 }]);
    const having = await table(
      'FIND HostAgent AS m THAT IDENTIFIED Finding AS f RETURN f.displayName AS cve, count(m) AS n HAVING n > 1',
    );
    expect(having).toEqual([{ cve: 'CVE-2024-0001', n: 2 }]);
  });

  it('matches a class the same at the start and further along a path, and counts starting entities once', async () => {
    // Off the start a class is tested on the entity's own classes; at the start, by the class index.
    const started = await listKeys('FIND User THAT RELATES TO *');
    const reached = await column('FIND UNIQUE * THAT RELATES TO User AS u RETURN u._key AS k', 'k');
    expect(reached).toEqual(started);
    expect(reached).toEqual([...LOGONS, ...USERS].sort());
    // One row per starting entity: an entity matching two names of the selector counts once.
    expect(await table('FIND (User|microsoft_defender_user) AS u RETURN COUNT(u) AS n')).toEqual([
      { n: 5 },
    ]);
    expect(
      await table('FIND User AS u RETURN u._type AS type, COUNT(u) AS n ORDER BY type'),
    ).toEqual([
      { type: 'microsoft_defender_logon_user', n: 2 },
      { type: 'microsoft_defender_user', n: 3 },
    ]);
  });

  it('evaluates scalar functions and arithmetic in RETURN, and sorts on computed columns', async () => {
    const rows = await table(
      "FIND Finding AS f RETURN CONCAT(f.displayName, ':', f.severity) AS label, ROUND(f.cvssScore * 10) / 10 + 1 AS bumped, COALESCE(f.exploitable, 'n/a') AS x ORDER BY bumped DESC LIMIT 2",
    );
    expect(rows).toEqual([
      { label: 'CVE-2024-0001:High', bumped: 10.8, x: true },
      { label: 'CVE-2024-0002:Medium', bumped: 6, x: false },
    ]);
    const ratio = await table(
      'FIND HostAgent AS m THAT IDENTIFIED Finding AS f RETURN (1 - count(f) / count(m)) * 100 AS pct',
    );
    expect(ratio).toEqual([{ pct: 0 }]);
  });

  it('returns whole entities for bare aliases and flattens alias.*', async () => {
    const [row] = await table("FIND HostAgent WITH displayName = 'ws-002' AS m RETURN m, m.*");
    expect((row!.m as EntityResult).entity._key).toBe(keys.machine('m2'));
    expect(row!['m._key']).toBe(keys.machine('m2'));
    expect(row!['m.osPlatform']).toBe('Windows11');
    expect(row!['m._class']).toEqual(['HostAgent']);
  });

  it('orders, skips and limits (default 250; LIMIT counts starting entities for lists)', async () => {
    expect(
      (
        (await run('FIND HostAgent ORDER BY displayName DESC SKIP 1 LIMIT 1'))
          .data as EntityResult[]
      ).map((r) => r.entity.displayName),
    ).toEqual(['ws-001']);
    // Without ORDER BY, entities come in _key order.
    const byKey = [keys.account, ...LOGONS, keys.machine('m1'), keys.machine('m2')];
    expect(await listKeys('FIND *', { defaultLimit: 4 })).toEqual(byKey.slice(0, 4));
    expect(await listKeys('FIND * LIMIT 6', { defaultLimit: 4 })).toEqual([
      ...byKey,
      keys.machine('m3'),
    ]);
    const ordered = await table('FIND HostAgent AS m RETURN m.displayName ORDER BY m.lastSeenOn');
    expect(ordered.map((r) => r['m.displayName'])).toEqual(['ws-002', 'srv-003', 'ws-001']);
  });

  it('unions optional traversals and continues from the union', async () => {
    expect(
      await listKeys('FIND microsoft_defender_logon_user (THAT IS microsoft_defender_user)?'),
    ).toEqual([...LOGONS, keys.user('u1')].sort());
    const rows = await table(
      'FIND microsoft_defender_logon_user AS l (THAT IS microsoft_defender_user AS u)? RETURN l.accountName, u.username ORDER BY l.accountName',
    );
    // Ties on ORDER BY go by the returned values, missing ones last.
    expect(rows).toEqual([
      { 'l.accountName': 'alice', 'u.username': 'alice' },
      { 'l.accountName': 'alice', 'u.username': null },
      { 'l.accountName': 'svc-backup', 'u.username': null },
    ]);
    // Steps after the group continue from logon users and from the directory users reached.
    expect(
      await listKeys(
        'FIND microsoft_defender_logon_user (THAT IS microsoft_defender_user)? THAT HAS UserGroup',
      ),
    ).toEqual([keys.logon('corp\\alice')]);
  });

  it('returns trees with vertices and edges', async () => {
    const result = await run(
      "FIND HostAgent WITH displayName = 'ws-002' THAT IDENTIFIED Finding RETURN TREE",
    );
    expect(result.type).toBe('tree');
    const tree = result.data as Extract<QueryResult, { type: 'tree' }>['data'];
    expect(tree.vertices.map((v) => v.entity._key).sort()).toEqual([
      keys.machine('m2'),
      keys.vuln('CVE-2024-0001'),
    ]);
    expect(tree.edges.map((e) => e.relationship._class)).toEqual(['IDENTIFIED']);
    const edge = tree.edges[0]!;
    expect(edge.relationship._class).toBe('IDENTIFIED');
    expect(edge.fromVertexId).toBe(
      tree.vertices.find((v) => v.entity._key === keys.machine('m2'))!.id,
    );
    expect(edge.toVertexId).toBe(
      tree.vertices.find((v) => v.entity._key === keys.vuln('CVE-2024-0001'))!.id,
    );
  });

  it('substitutes ${param.x} and {{x}}, lists as OR sets, and names a missing one', async () => {
    expect(
      await listKeys('FIND HostAgent WITH osPlatform = ${ param.os }', { params: { os: 'Linux' } }),
    ).toEqual([keys.machine('m3')]);
    expect(
      await listKeys('FIND HostAgent WITH osPlatform = {{os}}', {
        params: { os: ['Linux', 'Windows10'] },
      }),
    ).toEqual([keys.machine('m1'), keys.machine('m3')]);
    await expect(run('FIND HostAgent WITH osPlatform = ${param.os}')).rejects.toThrow(
      QueryValidationError,
    );
    await expect(run('FIND HostAgent WITH osPlatform = ${param.os}')).rejects.toThrow(
      /missing parameter: os/,
    );
  });

  it('expands smart classes the default way', async () => {
    expect(await listKeys('FIND #CriticalAsset')).toEqual([keys.machine('m3')]);
    expect(await listKeys('FIND #Production HostAgent WITH osPlatform = "Linux"')).toEqual([
      keys.machine('m3'),
    ]);
    expect(await listKeys('FIND #Production Finding')).toEqual([]);
  });

  it('says "not supported" rather than guessing', async () => {
    await expect(run('FIND HostAgent AS m RETURN SUM(m.x * 2)')).rejects.toThrow(NotSupportedError);
    await expect(run('FIND HostAgent AS m RETURN count(*)')).rejects.toThrow(
      /not supported: COUNT\(\*\)/,
    );
    await expect(run('FIND HostAgent THAT !HAS Finding AS f RETURN f.displayName')).rejects.toThrow(
      /not supported: using alias f of a negated traversal/,
    );
  });

  it('matches regular expressions: unanchored, /i, anchored by ^= and $=, negated', async () => {
    const [m1, m2, m3] = [keys.machine('m1'), keys.machine('m2'), keys.machine('m3')];
    expect(await listKeys('FIND HostAgent WITH displayName = /^WS-00[12]$/i')).toEqual([m1, m2]);
    expect(await listKeys('FIND HostAgent WITH displayName = /^WS-00[12]$/')).toEqual([]);
    expect(await listKeys('FIND HostAgent WITH displayName = /-00/')).toEqual([m1, m2, m3]);
    expect(await listKeys('FIND HostAgent WITH displayName ~= /s-0+2/')).toEqual([m2]);
    expect(await listKeys('FIND HostAgent WITH displayName ^= /[a-z]{3}-/')).toEqual([m3]);
    expect(await listKeys('FIND HostAgent WITH displayName $= /0[13]/')).toEqual([m1, m3]);
    expect(await listKeys('FIND HostAgent WITH displayName !~= /WS/i')).toEqual([m3]);
    expect(await listKeys('FIND HostAgent WITH displayName != /ws/')).toEqual([m3]);
    expect(await listKeys('FIND HostAgent AS m WHERE m.displayName = /SRV/i')).toEqual([m3]);
  });

  it('matches a regular expression against any element of an array, and never a number', async () => {
    expect(await listKeys('FIND HostAgent WITH ipAddress = /^192\\.168\\./')).toEqual([
      keys.machine('m1'),
    ]);
    expect(await listKeys('FIND HostAgent WITH ipAddress = /\\.[13]$/')).toEqual([
      keys.machine('m1'),
      keys.machine('m3'),
    ]);
    expect(await listKeys('FIND microsoft_defender_user WITH email = /^A@/i')).toEqual([
      keys.user('u1'),
    ]);
    expect(await listKeys('FIND microsoft_defender_user WITH email != /^bob@/')).toEqual([
      keys.user('u1'),
      keys.user('u3'),
    ]);
    expect(await listKeys('FIND HostAgent WITH rbacGroupId = /7/')).toEqual([]);
  });

  it('names an invalid regular expression before running it', async () => {
    await expect(run('FIND HostAgent WITH displayName = /ws-(/')).rejects.toThrow(
      QueryValidationError,
    );
    await expect(run('FIND HostAgent WITH displayName = /ws-(/')).rejects.toThrow(
      /invalid regular expression \/ws-\(\//,
    );
  });
});
