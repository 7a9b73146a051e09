import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './cli.js';

describe('demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the simulated tenant, syncs it into SQLite, says where to look next, and leaks no secret', async () => {
    const db = `sqlite:${join(dir, 'graph.db')}`;
    const demo = await runCli(
      [
        'demo',
        '--data-dir',
        join(dir, 'demo'),
        '--db',
        db,
        '--users',
        '30',
        '--groups',
        '5',
        '--machines',
        '12',
        '--cves',
        '15',
      ],
      { DEFENDER_GRAPH_DB: '' },
    );
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/^sync #1 of instance "demo": success/);
    expect(demo.stdout).toMatch(/│ microsoft_defender_machine\s+│ 12\s+│ 0\s+│ 0\s+│/);
    expect(demo.stdout).toContain('Where to look next');
    // The people query the demo prints returns rows (its roster has departed people still enabled).
    const people = /People the roster says have left[^\n]*\n[^\n]*\n([\s\S]*?)\n(\d+) rows?\n/.exec(
      demo.stdout,
    );
    expect(Number(people?.[2])).toBeGreaterThan(0);
    expect(people?.[1]).toMatch(/terminated|leave/);
    expect(demo.stdout).toMatch(/defender-graph history 'microsoft_defender_machine:[0-9a-f]{40}'/);

    const configFile = join(dir, 'demo', 'defender-graph.yaml');
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const secret = parse(readFileSync(configFile, 'utf8')).instances[0].clientSecret as string;
    expect(secret.length).toBeGreaterThan(10);
    expect(demo.stdout + demo.stderr).not.toContain(secret);

    const out = join(dir, 'graph.jsonl');
    const exported = await runCli(['export', '--format', 'jsonl', '--output', out, '--db', db]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toContain(secret);
    const record = await runCli(['sync', '--config', configFile, '--db', db, '--json']);
    // The demo's tenant stopped with the demo: the sync fails cleanly and says why, secret-free.
    expect(record.code).toBe(1);
    expect(JSON.parse(record.stdout).status).toBe('failed');
    expect(record.stdout + record.stderr).not.toContain(secret);
  });
});
