/**
 * Store commit benchmark: synthetic graphs shaped like 10,000- and 100,000-machine tenants, on
 * SQLite and PostgreSQL. Per run: a first sync (every object created), then a second sync with 1%
 * churn (1% of machines changed, 1% of machine→CVE links replaced). Each scenario runs in its own
 * process so its peak RSS is its own. Beside the commit, the same process inserts the first sync's
 * committed rows into an empty database of the same schema (every index) with one prepared
 * statement: the rate of that raw insert, measured in the same run, is what the commit is held to.
 * Usage: npx tsx bench/store-commit.ts [--machines 10000,100000]   (writes bench/out/store.md)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Entity, IntegrationRunResult, Relationship } from '../src/graph/types.js';
import { openGraphStore } from '../src/store/index.js';
import { successStep, tsxArgs, writeSection } from './support.js';

const PG_SERVER = process.env.DEFENDER_GRAPH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';
/** Rows per read page and per PostgreSQL insert execution in the raw-insert comparison. */
const RAW_PAGE = 1000;
const RAW_TABLES = ['entities', 'relationships'] as const;
const LOGONS_PER_MACHINE = 3;
const VULNS_PER_MACHINE = 8;
const BATCH = 1000;

const T = {
  account: 'microsoft_defender_account',
  machine: 'microsoft_defender_machine',
  device: 'user_endpoint',
  logonUser: 'microsoft_defender_logon_user',
  vulnerability: 'microsoft_defender_vulnerability',
  accountHasMachine: 'microsoft_defender_account_has_machine',
  manages: 'microsoft_defender_machine_manages_user_endpoint',
  hasLogon: 'microsoft_defender_machine_has_logon_user',
  identified: 'microsoft_defender_machine_identified_vulnerability',
};

const ACCOUNT_KEY = `${T.account}:bench-tenant`;
const cveCount = (machines: number) => Math.max(200, Math.round(machines / 20));
const logonUserCount = (machines: number) => Math.round(machines * 1.5);
const cveId = (i: number) => `CVE-20${10 + (i % 16)}-${String(10000 + i)}`;

function rel(
  type: string,
  verb: string,
  from: string,
  to: string,
  extra: Record<string, string> = {},
): Relationship {
  return {
    _key: `${from}|${verb.toLowerCase()}|${to}`,
    _type: type,
    _class: verb,
    _fromEntityKey: from,
    _toEntityKey: to,
    ...extra,
  };
}

/** One machine's objects; `round` > 0 applies 1% churn to machine i when i % 100 === round % 100. */
function machineObjects(i: number, machines: number, round: number) {
  const id = `m${String(i).padStart(7, '0')}`;
  const churned = round > 0 && i % 100 === 7;
  const machineKey = `${T.machine}:${id}`;
  const deviceKey = `${T.device}.${id}`;
  const entities: Entity[] = [
    {
      _key: machineKey,
      _type: T.machine,
      _class: ['HostAgent'],
      name: `host-${i}.corp.example`,
      osPlatform: 'Windows11',
      riskScore: churned ? 'High' : 'Low',
      healthStatus: 'Active',
      lastSeenOn: 1_700_000_000_000 + i,
      ipAddress: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
      _rawData: [
        {
          name: 'default',
          rawData: {
            id,
            computerDnsName: `host-${i}.corp.example`,
            osPlatform: 'Windows11',
            machineTags: ['bench'],
          },
        },
      ],
    },
    {
      _key: deviceKey,
      _type: T.device,
      _class: ['Device'],
      name: `host-${i}`,
      category: 'endpoint',
      deviceId: [id],
    },
  ];
  const relationships: Relationship[] = [
    rel(T.accountHasMachine, 'HAS', ACCOUNT_KEY, machineKey),
    rel(T.manages, 'MANAGES', machineKey, deviceKey),
  ];
  for (let l = 0; l < LOGONS_PER_MACHINE; l++) {
    const u = (i * 7 + l * 13) % logonUserCount(machines);
    relationships.push(rel(T.hasLogon, 'HAS', machineKey, `${T.logonUser}:corp\\user${u}`));
  }
  for (let v = 0; v < VULNS_PER_MACHINE; v++) {
    // Churned machines swap their last CVE for another: one link deleted, one created.
    const c =
      (i * 31 + v * 97 + (churned && v === VULNS_PER_MACHINE - 1 ? 1 : 0)) % cveCount(machines);
    relationships.push(
      rel(T.identified, 'IDENTIFIED', machineKey, `${T.vulnerability}:${cveId(c)}`, {
        severity: 'High',
      }),
    );
  }
  return { entities, relationships };
}

const RUN: IntegrationRunResult = {
  instanceName: 'bench',
  startedAt: 0,
  finishedAt: 0,
  stepResults: [
    successStep('fetch-account', [T.account]),
    successStep('fetch-machines', [T.machine, T.device, T.accountHasMachine, T.manages]),
    successStep('fetch-logon-users', [T.logonUser, T.hasLogon]),
    successStep('fetch-vulnerabilities', [T.vulnerability, T.identified]),
  ],
  partialDatasets: { types: [] },
  disabledTypes: [],
  apiCalls: {},
};

async function syncOnce(url: string, machines: number, round: number) {
  const store = await openGraphStore(url);
  const session = await store.beginSync('bench', { maxDeleteShare: 0.5 });
  const started = performance.now();
  let objects = 0;
  await session.addEntities('fetch-account', [
    { _key: ACCOUNT_KEY, _type: T.account, _class: ['Account'], name: 'bench' },
  ]);
  const flushEach = async (
    stepId: string,
    entities: Entity[],
    relationships: Relationship[] = [],
  ) => {
    if (entities.length) await session.addEntities(stepId, entities);
    if (relationships.length) await session.addRelationships(stepId, relationships);
    objects += entities.length + relationships.length;
  };
  let users: Entity[] = [];
  for (let u = 0; u < logonUserCount(machines); u++) {
    users.push({
      _key: `${T.logonUser}:corp\\user${u}`,
      _type: T.logonUser,
      _class: ['User'],
      username: `user${u}`,
      domain: 'CORP',
    });
    if (users.length === BATCH) {
      await flushEach('fetch-logon-users', users);
      users = [];
    }
  }
  await flushEach('fetch-logon-users', users);
  let cves: Entity[] = [];
  for (let c = 0; c < cveCount(machines); c++) {
    cves.push({
      _key: `${T.vulnerability}:${cveId(c)}`,
      _type: T.vulnerability,
      _class: ['Finding'],
      name: cveId(c),
      severity: 'High',
      score: 7.5,
    });
    if (cves.length === BATCH) {
      await flushEach('fetch-vulnerabilities', cves);
      cves = [];
    }
  }
  await flushEach('fetch-vulnerabilities', cves);
  for (let start = 0; start < machines; start += BATCH / 10) {
    const entities: Entity[] = [];
    const relationships: Relationship[] = [];
    for (let i = start; i < Math.min(machines, start + BATCH / 10); i++) {
      const o = machineObjects(i, machines, round);
      entities.push(...o.entities);
      relationships.push(...o.relationships);
    }
    await flushEach('fetch-machines', entities, relationships);
  }
  const staged = performance.now();
  const record = await session.commit(RUN);
  const committed = performance.now();
  await store.close();
  const counts = Object.values(record.typeCounts).reduce(
    (a, c) => ({
      created: a.created + c.created,
      updated: a.updated + c.updated,
      deleted: a.deleted + c.deleted,
    }),
    { created: 0, updated: 0, deleted: 0 },
  );
  return {
    objects: objects + 1,
    stageMs: staged - started,
    commitMs: committed - staged,
    counts,
    status: record.status,
  };
}

async function databaseSize(url: string): Promise<number> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    // Fold the write-ahead log into the file first, so the size is the database's own.
    const db = new Database(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return [file, `${file}-wal`].filter(existsSync).reduce((n, f) => n + statSync(f).size, 0);
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query('SELECT pg_database_size(current_database()) AS size');
  await client.end();
  return Number(rows[0].size);
}

/** The columns of `table` in order, from the migrated schema. */
function sqliteColumns(db: Database.Database, table: string): string[] {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
}

/**
 * Inserts `from`'s committed entity and relationship rows into the empty store `to` with one
 * prepared INSERT, in one transaction; only the insert calls are timed (reads are paged between).
 */
async function rawInsert(from: string, to: string): Promise<{ rows: number; ms: number }> {
  await (await openGraphStore(to)).close();
  return from.startsWith('sqlite:') ? rawInsertSqlite(from, to) : rawInsertPostgres(from, to);
}

async function rawInsertSqlite(from: string, to: string) {
  const source = new Database(from.slice('sqlite:'.length), { readonly: true });
  const target = new Database(to.slice('sqlite:'.length));
  // The store's own settings (src/store/sql/sqlite.ts), so only the work differs.
  target.pragma('journal_mode = WAL');
  target.pragma('synchronous = NORMAL');
  target.pragma('cache_size = -65536');
  let rows = 0;
  let ms = 0;
  target.exec('BEGIN');
  for (const table of RAW_TABLES) {
    const columns = sqliteColumns(target, table);
    const insert = target.prepare(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    );
    let page: unknown[][] = [];
    const flush = () => {
      const started = performance.now();
      for (const row of page) insert.run(row);
      ms += performance.now() - started;
      rows += page.length;
      page = [];
    };
    for (const row of source
      .prepare(`SELECT ${columns.join(', ')} FROM ${table}`)
      .raw()
      .iterate()) {
      page.push(row as unknown[]);
      if (page.length === RAW_PAGE) flush();
    }
    flush();
  }
  const started = performance.now();
  target.exec('COMMIT');
  ms += performance.now() - started;
  source.close();
  target.close();
  return { rows, ms };
}

async function rawInsertPostgres(from: string, to: string) {
  const source = new pg.Client({ connectionString: from });
  const target = new pg.Client({ connectionString: to });
  await source.connect();
  await target.connect();
  let rows = 0;
  let ms = 0;
  const timed = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    ms += performance.now() - started;
  };
  await timed(() => target.query('BEGIN'));
  for (const table of RAW_TABLES) {
    const { rows: info } = await target.query<{ name: string; type: string }>(
      `SELECT column_name AS name, data_type AS type FROM information_schema.columns
       WHERE table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    const select = info.map((c) => (c.type === 'jsonb' ? `${c.name}::text` : c.name));
    const cast = (c: { type: string }, n: number) =>
      c.type === 'jsonb' ? `$${n}::jsonb` : `$${n}`;
    const tuple = (r: number) =>
      `(${info.map((c, i) => cast(c, r * info.length + i + 1)).join(', ')})`;
    const insertSql = (n: number) =>
      `INSERT INTO ${table} (${info.map((c) => c.name).join(', ')}) VALUES ${Array.from({ length: n }, (_, r) => tuple(r)).join(', ')}`;
    let after = { instance: '', key: '' };
    for (;;) {
      const { rows: page } = await source.query({
        text: `SELECT instance_id, key, ${select.join(', ')} FROM ${table}
               WHERE (instance_id, key) > ($1, $2) ORDER BY instance_id, key LIMIT ${RAW_PAGE}`,
        values: [after.instance, after.key],
        rowMode: 'array',
      });
      if (page.length === 0) break;
      // Prepared once per page size: every full page reuses the named statement.
      await timed(() =>
        target.query({
          name: `raw_${table}_${page.length}`,
          text: insertSql(page.length),
          values: page.flatMap((r: unknown[]) => r.slice(2)),
        }),
      );
      rows += page.length;
      const last = page[page.length - 1] as string[];
      after = { instance: last[0]!, key: last[1]! };
    }
  }
  await timed(() => target.query('COMMIT'));
  await source.end();
  await target.end();
  return { rows, ms };
}

/** Child mode: one backend × size: the first sync, the raw insert into `rawUrl`, the churn sync; prints one JSON line. */
async function scenario(url: string, machines: number, rawUrl?: string) {
  const first = await syncOnce(url, machines, 0);
  const afterFirstRssBytes = process.resourceUsage().maxRSS * 1024;
  const raw = rawUrl ? await rawInsert(url, rawUrl) : undefined;
  const second = await syncOnce(url, machines, 1);
  const size = await databaseSize(url);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({ first, second, size, afterFirstRssBytes, peakRssBytes, raw, loadAverage: loadavg()[0] })}\n`,
  );
}

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await client.connect();
  await client.query(sql);
  await client.end();
}

const DOC = join(import.meta.dirname, '..', 'docs', 'benchmarks.md');
const STORE_HEADING = '## Store: commit throughput';

/** The store table now published in docs/benchmarks.md, by "machines backend", cells by column name. */
function previousFigures(): Map<string, Record<string, string>> {
  const figures = new Map<string, Record<string, string>>();
  if (!existsSync(DOC)) return figures;
  const text = readFileSync(DOC, 'utf8');
  const at = text.indexOf(STORE_HEADING);
  if (at < 0) return figures;
  const lines = text
    .slice(at)
    .split('\n')
    .filter((l) => l.startsWith('|'));
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const header = cells(lines[0] ?? '');
  for (const line of lines.slice(2)) {
    const row = Object.fromEntries(cells(line).map((c, i) => [header[i] ?? '', c]));
    if (row.backend) figures.set(`${row.machines} ${row.backend}`, row);
    else break;
  }
  return figures;
}

const COMPARED = [
  'objects/s (stage+commit)',
  'commit s',
  '1% churn commit s',
  'database size',
  'peak RSS',
] as const;

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const seconds = (ms: number) => (ms / 1000).toFixed(1);

async function driver(sizes: number[]) {
  const previous = previousFigures();
  const rows: string[] = [];
  const comparisons: string[] = [];
  const loads: string[] = [];
  for (const machines of sizes) {
    for (const backend of ['sqlite', 'postgres'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'dg-bench-store-'));
      const dbName = `dg_bench_store_${machines}`;
      const [url, rawUrl] =
        backend === 'sqlite'
          ? [`sqlite:${join(dir, 'graph.db')}`, `sqlite:${join(dir, 'raw.db')}`]
          : [`${PG_SERVER}/${dbName}`, `${PG_SERVER}/${dbName}_raw`];
      if (backend === 'postgres') {
        for (const name of [dbName, `${dbName}_raw`]) {
          await admin(`DROP DATABASE IF EXISTS ${name}`);
          await admin(`CREATE DATABASE ${name}`);
        }
      }
      process.stderr.write(`… ${backend}, ${machines} machines\n`);
      const child = spawnSync(
        process.execPath,
        tsxArgs(import.meta.filename, ['--scenario', url, String(machines), rawUrl]),
        {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      if (child.status !== 0) throw new Error(`scenario ${backend} ${machines} failed`);
      const r = JSON.parse(child.stdout.trim().split('\n').pop()!);
      if (backend === 'postgres')
        for (const name of [dbName, `${dbName}_raw`])
          await admin(`DROP DATABASE IF EXISTS ${name}`);
      rmSync(dir, { recursive: true, force: true });
      const objects = r.first.objects;
      const both = objects / ((r.first.stageMs + r.first.commitMs) / 1000);
      const commitOnly = objects / (r.first.commitMs / 1000);
      const raw = r.raw.rows / (r.raw.ms / 1000);
      const now: Record<(typeof COMPARED)[number], string> = {
        'objects/s (stage+commit)': thousands(both),
        'commit s': seconds(r.first.commitMs),
        '1% churn commit s': seconds(r.second.commitMs),
        'database size': mib(r.size),
        'peak RSS': mib(r.peakRssBytes),
      };
      rows.push(
        `| ${thousands(machines)} | ${backend} | ${thousands(objects)} | ${seconds(r.first.stageMs)} | ${now['commit s']} | ${now['objects/s (stage+commit)']} | ${thousands(commitOnly)} | ${thousands(raw)} | ${((100 * commitOnly) / raw).toFixed(0)} % | ${((100 * both) / raw).toFixed(0)} % | ${now['1% churn commit s']} | ${r.second.counts.created} / ${r.second.counts.updated} / ${r.second.counts.deleted} | ${now['database size']} | ${thousands(r.size / objects)} | ${mib(r.afterFirstRssBytes)} | ${now['peak RSS']} |`,
      );
      loads.push(`${backend} ${thousands(machines)}: ${r.loadAverage.toFixed(1)}`);
      const before = previous.get(`${thousands(machines)} ${backend}`);
      comparisons.push(
        `| ${thousands(machines)} | ${backend} | ${COMPARED.map((c) => `${before?.[c] ?? '—'} → ${now[c]}`).join(' | ')} |`,
      );
      process.stderr.write(`${rows[rows.length - 1]}\n`);
    }
  }
  const node = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
  const md = `${STORE_HEADING}, churn commit, size, memory

Command: \`npx tsx bench/store-commit.ts --machines ${sizes.join(',')}\` (Node ${node}; SQLite file in the temp folder; PostgreSQL 15 on 127.0.0.1).

Synthetic graph shaped like the tenant: per machine one \`microsoft_defender_machine\` (with raw data) and one
\`user_endpoint\`, \`HAS\`/\`MANAGES\` links, ${LOGONS_PER_MACHINE} logon-user links and ${VULNS_PER_MACHINE} machine→CVE links, plus 1.5 logon users per
machine and one vulnerability entity per 20 machines. First sync: every object created (staging = streaming the
objects into the sync session, commit = the one transaction). Second sync: 1% churn (1% of machines changed,
and each of those swaps one CVE link: one created, one deleted).

Raw indexed insert: in the same process, right after the first sync, the committed \`entities\` and
\`relationships\` rows are inserted into an empty database of the same schema (every index) with
one prepared statement in one transaction (SQLite: a row per execution; PostgreSQL: ${RAW_PAGE} rows per
execution of a named statement); only the insert calls are timed. The commit does more than that
insert (the diff, the class and full-text indexes, emptying staging), so "commit / raw" is the
share of the bare-insert rate the commit reaches, measured under the same load. Bytes per object:
database size after both syncs (history versions and pages freed by staging included) over the
objects of one sync. Peak RSS is the benchmark process (it stages and commits like \`sync\`, without
the collector): after the first sync, and after both. SQLite's page cache is capped at 64 MiB per
connection: the SQLite RSS difference between the two sizes is that cache filling up, not tenant
data held in memory.

The machine is shared (2 cores, ${cpus().length} seen by Node): 1-minute load average when each
scenario ended: ${loads.join(', ')}. Read absolute times as upper bounds; the ratios to the raw
insert, measured in the same process minutes apart, are the figures to compare.

| machines | backend | objects | stage s | commit s | objects/s (stage+commit) | commit objects/s | raw indexed insert objects/s | commit / raw | stage+commit / raw | 1% churn commit s | churn created / updated / deleted | database size | bytes per object | peak RSS after first sync | peak RSS |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|
${rows.join('\n')}

Against the previous figures (the table this run replaced in docs/benchmarks.md; before → now):

| machines | backend | ${COMPARED.join(' | ')} |
|---:|---|${COMPARED.map(() => '---').join('|')}|
${comparisons.join('\n')}
`;
  writeSection('store.md', md);
}

const args = process.argv.slice(2);
if (args[0] === '--scenario') {
  await scenario(args[1]!, Number(args[2]), args[3]);
} else {
  const i = args.indexOf('--machines');
  await driver((i >= 0 ? args[i + 1]! : '10000,100000').split(',').map(Number));
}
