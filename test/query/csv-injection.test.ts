import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { BACKENDS } from '../store/backends.js';
import { run, step, user, USER } from '../store/fixtures.js';
import { runCli } from '../sync/cli.js';

/** Defect 7: CSV cells a spreadsheet would run as a formula are neutralised (OWASP). */

/** Title as stored → the cell a spreadsheet must see (a leading ' before a formula start). */
const CELLS: [string, string][] = [
  ['=HYPERLINK("https://attacker.example","x")', `'=HYPERLINK("https://attacker.example","x")`],
  ["+cmd|' /C calc'!A0", `'+cmd|' /C calc'!A0`],
  ['-2+3', "'-2+3"],
  ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
  ['\t=1+1', "'\t=1+1"],
  ['\r=1+1', "'\r=1+1"],
  ['plain title', 'plain title'],
  ['a = b', 'a = b'],
];

/** A key is text a tenant controls too (e.g. a logon user's name). */
const EVIL_KEY = '=cmd|calc';

describe.each(BACKENDS)('CSV formula injection on $name', (backend) => {
  let store: GraphStore;
  let drop: () => Promise<void>;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    const db = await backend.create('csv');
    ({ url, drop } = db);
    store = await openGraphStore(url);
    const session = await store.beginSync('acme');
    await session.addEntities(
      'users',
      CELLS.map(([title], i) => user(`u${i}`, { jobTitle: title, displayName: `User ${i}` })),
    );
    await session.addEntities('users', [
      { _key: EVIL_KEY, _type: USER, _class: ['User'], riskScore: -5 },
    ]);
    expect((await session.commit(run([step('users', [USER])]))).status).toBe('success');
    dir = mkdtempSync(join(tmpdir(), 'dg-csv-'));
  });
  afterAll(async () => {
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('query --format csv: formula cells get a leading quote, numbers and other text stay', async () => {
    const result = await runCli([
      'query',
      `FIND ${USER} AS u RETURN u._key AS key, u.jobTitle AS title, u.riskScore AS risk`,
      '--format',
      'csv',
      '--db',
      url,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const rows = parse(result.stdout, { columns: true }) as Record<string, string>[];
    const byKey = new Map(rows.map((r) => [r.key, r]));
    CELLS.forEach(([, cell], i) => expect(byKey.get(`${USER}:u${i}`)!.title).toBe(cell));
    expect(byKey.get(`'${EVIL_KEY}`)!.risk).toBe('-5');
    expect(rows).toHaveLength(CELLS.length + 1);
  });

  it('export --format csv: key columns are neutralised; the properties column is JSON', async () => {
    const output = join(dir, 'graph.csv');
    const result = await runCli(['export', '--format', 'csv', '--output', output, '--db', url]);
    expect(result.code, result.stderr).toBe(0);
    const rows = parse(readFileSync(output), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r._key).sort()).toEqual(
      [...CELLS.map((_, i) => `${USER}:u${i}`), `'${EVIL_KEY}`].sort(),
    );
    const titles = new Map(
      rows.map((r) => [r._key, (JSON.parse(r.properties!) as { jobTitle?: string }).jobTitle]),
    );
    CELLS.forEach(([title], i) => expect(titles.get(`${USER}:u${i}`)).toBe(title));
  });
});
