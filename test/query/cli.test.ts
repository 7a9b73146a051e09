import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore } from '../../src/store/index.js';
import { runCli } from '../sync/cli.js';
import { keys, loadFixtureGraph } from './fixture-graph.js';

describe('defender-graph query', () => {
  let dir: string;
  let db: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dg-query-cli-'));
    db = `sqlite:${join(dir, 'graph.db')}`;
    const store = await openGraphStore(db);
    await loadFixtureGraph(store);
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints JupiterOne JSON, with parameters', async () => {
    const result = await runCli([
      'query',
      '--db',
      db,
      '--json',
      '--param',
      'os=Linux',
      'FIND HostAgent WITH osPlatform = ${param.os}',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      type: string;
      data: { entity: { _key: string } }[];
    };
    expect(json.type).toBe('list');
    expect(json.data.map((d) => d.entity._key)).toEqual([keys.machine('m3')]);
  });

  it('prints CSV and terminal tables', async () => {
    const csv = await runCli([
      'query',
      '--db',
      db,
      '--format',
      'csv',
      'FIND HostAgent AS m RETURN m.displayName AS name, m.ipAddress AS ip ORDER BY name',
    ]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(
      'name,ip\nsrv-003,"[""10.0.0.3""]"\nws-001,"[""10.0.0.1"",""192.168.1.5""]"\nws-002,\n',
    );
    const table = await runCli(['query', '--db', db, 'FIND Finding AS f RETURN COUNT(f) AS n']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ n +│/);
    expect(table.stdout).toMatch(/│ 3 +│/);
    expect(table.stdout).toMatch(/1 row\n$/);
  });

  it('exits 2 with the position for a syntax error, and names unsupported features', async () => {
    const syntax = await runCli(['query', '--db', db, 'FIND User WITH active =']);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toBe(
      "error: line 1, column 24: found end of query, expected a quoted string or '-' or a number or TRUE or FALSE or UNDEFINED or date.now or date(ISO-8601) or a /regex/ or ${param.name} or {{placeholder}} or '(' or a name or [bracketed name]\n",
    );
    const unsupported = await runCli(['query', '--db', db, 'FIND User AS u RETURN COUNT(*)']);
    expect(unsupported.code).toBe(2);
    expect(unsupported.stderr).toMatch(/^error: line 1, column 29: not supported: COUNT\(\*\)/);
    const instance = await runCli(['query', '--db', db, '--instance', 'nope', 'FIND User']);
    expect(instance.code).toBe(2);
    expect(instance.stderr).toMatch(/no instance named "nope".*have: contoso/);
  });

  it('checks a file of queries without running them', async () => {
    const file = join(dir, 'rules.jsonl');
    writeFileSync(
      file,
      [
        'FIND HostAgent WITH riskScore = "High"',
        '{"name":"r2","query":"FIND User THAT !HAS UserGroup"}',
        '',
        'FIND User WITH',
        'FIND User WHERE active = true',
        'FIND User AS u RETURN COUNT(*)',
      ].join('\n'),
    );
    const result = await runCli(['query', '--check', file]);
    expect(result.code).toBe(2);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; ok: boolean; error?: { kind: string } });
    expect(lines.map((l) => [l.line, l.ok, l.error?.kind])).toEqual([
      [1, true, undefined],
      [2, true, undefined],
      [4, false, 'syntax'],
      [5, false, 'invalid'],
      [6, false, 'not_supported'],
    ]);
    const good = join(dir, 'good.txt');
    writeFileSync(good, 'FIND HostAgent\nFIND User AS u RETURN u.username\n');
    const ok = await runCli(['query', '--check', good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('{"line":1,"ok":true}\n{"line":2,"ok":true}\n');
  });
});
