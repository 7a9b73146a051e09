import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../../src/server/index.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { ApiClient } from '../server/client.js';
import { BACKENDS } from '../store/backends.js';
import { LocalSyncControl } from '../support/local-sync-control.js';
import { createTestDatabase } from '../support/postgres.js';
import { runCli } from '../sync/cli.js';
import { keys, loadFixtureGraph } from './fixture-graph.js';

interface ListJson {
  type: 'list';
  data: { entity: { _key: string } }[];
  truncated: boolean;
  cursor?: string;
  warnings?: string[];
}

/** Commands that only read what a sync stored, each with the arguments it needs. */
const READ_ONLY_COMMANDS: string[][] = [
  ['query', 'FIND User'],
  ['export', '--format', 'jsonl', '--output', 'OUT'],
  ['changes'],
  ['history', keys.user('u1')],
  ['alerts', 'list'],
  ['rules', 'list'],
  ['users', 'list'],
  ['users', 'token', 'list'],
  ['people', 'report'],
];

describe.each(BACKENDS)('query guidance on $name', (backend) => {
  let db: { url: string; drop: () => Promise<void> };
  let store: GraphStore;
  let control: LocalSyncControl;
  let server: RunningHttpServer;
  let api: ApiClient;

  beforeAll(async () => {
    db = await backend.create('query-guidance');
    store = await openGraphStore(db.url);
    await loadFixtureGraph(store);
    control = new LocalSyncControl({ instances: [], store });
    server = await startHttpServer({
      store,
      syncControl: control,
      host: '127.0.0.1',
      port: 0,
      version: '0.1.0',
    });
    api = new ApiClient(server.url);
  });
  afterAll(async () => {
    await server?.close();
    await control?.close();
    await store?.close();
    await db?.drop();
  });

  const query = (...args: string[]) => runCli(['query', '--db', db.url, ...args]);
  const users = [keys.user('u1'), keys.user('u2'), keys.user('u3')];

  it(
    'says on stderr when a page stops short, in every format, and pages with the cursor',
    { timeout: 180_000 },
    async () => {
      const table = await query('--limit', '2', 'FIND microsoft_defender_user');
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/2 rows\n$/);
      const notice =
        /^showing 2 of more rows; --limit N or --all for more, or the next page: --cursor (\S+)\n$/;
      expect(table.stderr).toMatch(notice);
      const csv = await query('--limit', '2', '--format', 'csv', 'FIND microsoft_defender_user');
      expect(csv.stdout.trim().split('\n')).toHaveLength(3);
      expect(csv.stderr).toMatch(notice);

      const first = await query('--limit', '2', '--json', 'FIND microsoft_defender_user');
      expect(first.stderr).toMatch(notice);
      const page1 = JSON.parse(first.stdout) as ListJson;
      expect(page1.truncated).toBe(true);
      expect(page1.cursor).toBe(notice.exec(first.stderr)![1]);
      const second = await query(
        '--limit',
        '2',
        '--json',
        '--cursor',
        page1.cursor!,
        'FIND microsoft_defender_user',
      );
      expect(second.stderr).toBe('');
      const page2 = JSON.parse(second.stdout) as ListJson;
      expect(page2.truncated).toBe(false);
      expect(page2.cursor).toBeUndefined();
      expect([...page1.data, ...page2.data].map((d) => d.entity._key)).toEqual(users);

      const all = await query('--all', '--json', 'FIND microsoft_defender_user');
      expect(all.stderr).toBe('');
      expect(JSON.parse(all.stdout)).toMatchObject({ truncated: false });
      expect((JSON.parse(all.stdout) as ListJson).data.map((d) => d.entity._key)).toEqual(users);
      const both = await query('--all', '--limit', '5', 'FIND microsoft_defender_user');
      expect(both.code).toBe(2);
      expect(both.stderr).toBe('error: give either --limit or --all, not both\n');
      const misused = await query('--json', '--cursor', page1.cursor!, 'FIND HostAgent');
      expect(misused.code).toBe(2);
      expect(misused.stderr).toBe('error: cursor: it belongs to a different query or filter\n');
    },
  );

  it('gives cursors the HTTP API pages on, and takes the API’s', { timeout: 180_000 }, async () => {
    const cli = JSON.parse(
      (await query('--limit', '2', '--json', 'FIND microsoft_defender_user')).stdout,
    ) as ListJson;
    const next = await api.post<ListJson>('/api/v1/query', {
      body: { query: 'FIND microsoft_defender_user', limit: 2, cursor: cli.cursor },
    });
    expect(next.status).toBe(200);
    expect(next.body.data.map((d) => d.entity._key)).toEqual([keys.user('u3')]);
    const fromApi = await api.post<ListJson>('/api/v1/query', {
      body: { query: 'FIND microsoft_defender_user', limit: 1 },
    });
    const rest = await query(
      '--limit',
      '2',
      '--json',
      '--cursor',
      fromApi.body.cursor!,
      'FIND microsoft_defender_user',
    );
    expect((JSON.parse(rest.stdout) as ListJson).data.map((d) => d.entity._key)).toEqual(
      users.slice(1),
    );
  });

  it(
    'warns of a type, class or property the store has never seen, with the closest known names',
    { timeout: 180_000 },
    async () => {
      const type = await query('--json', 'FIND microsoft_defender_machin');
      expect(type.code).toBe(0);
      const typeWarning =
        'no entity of type microsoft_defender_machin; did you mean microsoft_defender_machine?';
      expect(type.stderr).toBe(`warning: ${typeWarning}\n`);
      expect(JSON.parse(type.stdout)).toEqual({
        type: 'list',
        data: [],
        truncated: false,
        warnings: [typeWarning],
      });

      const classAndProperty = await query(
        "FIND HostAgnet WITH osPlatfrom = 'Linux' THAT RELATES TO Nothing",
      );
      expect(classAndProperty.stderr).toBe(
        [
          'warning: no entity of class HostAgnet; did you mean HostAgent?',
          'warning: no entity of class Nothing',
          'warning: no entity or relationship has a property osPlatfrom; did you mean osPlatform?',
          '',
        ].join('\n'),
      );
      expect(classAndProperty.stdout).toMatch(/0 rows\n$/);

      // Known names, and a property some entity has: no warning, whatever the answer.
      const known = await query(
        "FIND HostAgent WITH osPlatform = 'Plan9' AS m RETURN COUNT(m) AS n",
      );
      expect(known.stderr).toBe('');
      // A known property in WHERE, and an unknown one in a query that finds rows: no warning.
      const where = await query("FIND User AS u WHERE u.username = 'alice' OR u.nickname = 'x'");
      expect(where.stderr).toBe('');

      const api1 = await api.post<ListJson>('/api/v1/query', {
        body: { query: 'FIND microsoft_defender_machin' },
      });
      expect(api1.status).toBe(200);
      expect(api1.body.warnings).toEqual([typeWarning]);
    },
  );

  it('suggests the keyword a misspelt one stands for', { timeout: 180_000 }, async () => {
    const fidn = await query('FIDN User');
    expect(fidn.code).toBe(2);
    expect(fidn.stderr).toBe(
      "error: line 1, column 6: found 'User', expected end of query; did you mean FIND instead of 'FIDN'?\n",
    );
    const wiht = await query('FIND User WIHT active = true');
    expect(wiht.stderr).toMatch(/did you mean WITH instead of 'WIHT'\?\n$/);
  });
});

describe('read-only commands on a store that does not exist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-no-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // `people` and `status` read the configuration first: one from the environment will do.
  const env = {
    AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000001',
    AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000002',
    AZURE_CLIENT_SECRET: 'not-used',
  };
  const args = (command: string[], db: string) => [
    ...command.map((a) => (a === 'OUT' ? join(dir, 'out.jsonl') : a)),
    '--db',
    db,
  ];

  it(
    'SQLite (a bare path or sqlite:): "no store at PATH; run sync first", exit 2, nothing created',
    { timeout: 400_000 },
    async () => {
      const path = join(dir, 'data', 'graph.db');
      for (const db of [path, `sqlite:${path}`]) {
        const results = await Promise.all(READ_ONLY_COMMANDS.map((c) => runCli(args(c, db), env)));
        results.forEach((result, i) => {
          expect(result.stderr, READ_ONLY_COMMANDS[i]!.join(' ')).toBe(
            `error: no store at ${path}; run sync first\n`,
          );
          expect(result.code).toBe(2);
        });
      }
      // `status` before the first sync: the configured instance, never synced; nothing created.
      const status = await runCli(['status', '--json', '--db', path], env);
      expect(status.code, status.stderr).toBe(0);
      const { instances, openAlerts } = JSON.parse(status.stdout) as {
        instances: { lastSync?: unknown; running: boolean }[];
        openAlerts: unknown[];
      };
      expect(instances).toHaveLength(1);
      expect(instances[0]).toMatchObject({ running: false, requested: false });
      expect(instances[0]!.lastSync).toBeUndefined();
      expect(openAlerts).toEqual([]);
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it('a bare path opens an existing SQLite store', async () => {
    const other = mkdtempSync(join(tmpdir(), 'dg-bare-path-'));
    try {
      const path = join(other, 'graph.db');
      const store = await openGraphStore(`sqlite:${path}`);
      await loadFixtureGraph(store);
      await store.close();
      const result = await runCli(['query', '--db', path, 'FIND microsoft_defender_user']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/3 rows\n$/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it(
    'PostgreSQL: a database without our schema is no store, and stays without tables',
    { timeout: 400_000 },
    async () => {
      const db = await createTestDatabase('no-store');
      try {
        const results = await Promise.all(
          READ_ONLY_COMMANDS.map((c) => runCli(args(c, db.url), env)),
        );
        results.forEach((result, i) => {
          expect(result.stderr, READ_ONLY_COMMANDS[i]!.join(' ')).toBe(
            `error: no store at ${db.url}; run sync first\n`,
          );
          expect(result.code).toBe(2);
        });
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        const tables = await client.query(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        );
        await client.end();
        expect(tables.rows).toEqual([]);
      } finally {
        await db.drop();
      }
    },
  );
});
