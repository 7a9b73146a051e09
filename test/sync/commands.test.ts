import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore } from '../../src/store/index.js';
import { BACKENDS } from '../store/backends.js';
import {
  machine,
  MACHINE,
  MACHINE_VULN,
  machineVuln,
  run,
  step,
  user,
  USER,
  VULN,
  vulnerability,
} from '../store/fixtures.js';
import { runCli } from './cli.js';

describe.each(BACKENDS)('store commands on $name', (backend) => {
  let db: { url: string; drop: () => Promise<void> };
  let dir: string;
  let firstSync: number;
  let secondSync: number;

  beforeAll(async () => {
    db = await backend.create('commands');
    dir = mkdtempSync(join(tmpdir(), 'dg-commands-'));
    const store = await openGraphStore(db.url);
    const steps = [
      step('users', [USER]),
      step('machines', [MACHINE]),
      step('vulns', [VULN, MACHINE_VULN]),
    ];
    const s1 = await store.beginSync('acme');
    await s1.addEntities('users', [user('a'), user('b'), user('c')]);
    await s1.addEntities('machines', [machine('m1', { riskScore: 'Low' })]);
    await s1.addEntities('vulns', [vulnerability('CVE-2024-0001')]);
    await s1.addRelationships('vulns', [machineVuln('m1', 'CVE-2024-0001')]);
    firstSync = (await s1.commit(run(steps))).id;
    const s2 = await store.beginSync('acme');
    await s2.addEntities('users', [user('a'), user('b', { active: false })]);
    await s2.addEntities('machines', [machine('m1', { riskScore: 'High' })]);
    await s2.addEntities('vulns', [vulnerability('CVE-2024-0001')]);
    await s2.addRelationships('vulns', [machineVuln('m1', 'CVE-2024-0001')]);
    secondSync = (await s2.commit(run(steps))).id;
    await store.close();
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli([...args, '--db', db.url]);

  it('changes: the latest sync by default, a given sync, JSON with before and after', async () => {
    const latest = await cli('changes', '--json');
    expect(latest.code, latest.stderr).toBe(0);
    const json = JSON.parse(latest.stdout);
    expect(json.syncs.map((s: { id: number }) => s.id)).toEqual([secondSync]);
    expect(json.created).toEqual([]);
    expect(json.deleted.map((d: { key: string }) => d.key)).toEqual([`${USER}:c`]);
    expect(json.updated.map((u: { key: string; changes: unknown }) => [u.key, u.changes])).toEqual([
      [`${MACHINE}:m1`, [{ property: 'riskScore', before: 'Low', after: 'High' }]],
      [`${USER}:b`, [{ property: 'active', before: true, after: false }]],
    ]);
    expect(json.updated[0].instance).toBe('acme');
    expect(json.deleted[0].displayName).toBe('User c');

    const first = await cli('changes', '--sync', String(firstSync));
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`+ ${USER}:a`);
    const human = await cli('changes');
    // The display name beside the key; machines have none.
    expect(human.stdout).toContain(`~ ${USER}:b (User b)\n    active: true → false`);
    expect(human.stdout).toContain(`~ ${MACHINE}:m1\n    riskScore: "Low" → "High"`);
    expect(human.stdout).toContain(`- ${USER}:c (User c)\n`);

    const since = JSON.parse((await cli('changes', '--since', '1h', '--json')).stdout);
    expect(since.syncs.map((s: { id: number }) => s.id)).toEqual([firstSync, secondSync]);
  });

  it('changes and history: bad input is a usage error naming the flag', async () => {
    expect(await cli('changes', '--since', '3 days')).toMatchObject({
      code: 2,
      stderr: "error: --since must be a duration such as 30m, 24h or 7d, got '3 days'\n",
    });
    expect(await cli('changes', '--sync', '999')).toMatchObject({
      code: 2,
      stderr: 'error: --sync 999: no such sync\n',
    });
    expect(await cli('changes', '--instance', 'nope')).toMatchObject({
      code: 2,
      stderr: 'error: --instance: no instance named "nope" in the store (have: acme)\n',
    });
    expect(await cli('history', 'missing-key')).toMatchObject({
      code: 1,
      stderr: 'error: no entity or relationship with _key "missing-key" in the store\n',
    });
  });

  it('history: every version with what changed', async () => {
    const result = await cli('history', `${USER}:b`, '--json');
    expect(result.code, result.stderr).toBe(0);
    const versions = JSON.parse(result.stdout);
    expect(
      versions.map((v: { syncId: number; object: Record<string, unknown> }) => [
        v.syncId,
        v.object._version,
        v.object.active,
      ]),
    ).toEqual([
      [firstSync, 1, true],
      [secondSync, 2, false],
    ]);
    const human = await cli('history', `${USER}:c`);
    expect(human.stdout.split('\n')[0]).toBe(`${USER}:c (User c): ${USER}`);
    expect(human.stdout).toMatch(
      /│ 2\s+│ \d+\s+│ [0-9T:.-]+Z │ [0-9T:.-]+Z │ true\s+│ deleted\s+│/,
    );
  });

  it('export: jsonl and csv stream the live graph, deleted objects on request; j1 writes the SDK layout', async () => {
    const jsonl = join(dir, `${backend.name}.jsonl`);
    const written = await cli('export', '--format', 'jsonl', '--output', jsonl, '--json');
    expect(written.code, written.stderr).toBe(0);
    expect(JSON.parse(written.stdout)).toMatchObject({ entities: 4, relationships: 1 });
    const lines = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((o) => o._key)).toEqual([
      `${MACHINE}:m1`,
      `${USER}:a`,
      `${USER}:b`,
      `${VULN}:CVE-2024-0001`,
      `${MACHINE}:m1|identified|${VULN}:CVE-2024-0001`,
    ]);
    expect(lines[2]).toMatchObject({
      _type: USER,
      _class: ['User'],
      active: false,
      _version: 2,
      _deleted: false,
    });
    expect(lines[4]).toMatchObject({
      _fromEntityKey: `${MACHINE}:m1`,
      _toEntityKey: `${VULN}:CVE-2024-0001`,
    });

    const withDeleted = await cli(
      'export',
      '--format',
      'jsonl',
      '--output',
      jsonl,
      '--include-deleted',
      '--json',
    );
    expect(JSON.parse(withDeleted.stdout)).toMatchObject({ entities: 5, relationships: 1 });

    const csv = join(dir, `${backend.name}.csv`);
    expect((await cli('export', '--format', 'csv', '--output', csv)).code).toBe(0);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe(
      'kind,_key,_type,_class,_fromEntityKey,_toEntityKey,_id,_version,_createdOn,_beginOn,_endOn,_deleted,_source,_integrationInstanceId,properties',
    );
    expect(rows).toHaveLength(6);
    expect(rows[3]).toMatch(
      new RegExp(
        `^entity,${USER}:b,${USER},"\\[""User""\\]",,,[0-9a-f-]{36},2,\\d+,\\d+,,false,integration-managed,`,
      ),
    );

    const j1 = join(dir, `${backend.name}-j1`);
    expect((await cli('export', '--format', 'j1', '--output', j1)).code).toBe(0);
    expect(readdirSync(join(j1, 'index', 'entities')).sort()).toEqual([MACHINE, USER, VULN].sort());
    const summary = JSON.parse(readFileSync(join(j1, 'summary.json'), 'utf8'));
    expect(summary.integrationStepResults.map((s: { id: string }) => s.id)).toEqual([
      'users',
      'machines',
      'vulns',
    ]);
    const [userFile] = readdirSync(join(j1, 'index', 'entities', USER));
    const users = JSON.parse(
      readFileSync(join(j1, 'index', 'entities', USER, userFile!), 'utf8'),
    ).entities;
    expect(users.map((u: { _key: string }) => u._key)).toEqual([`${USER}:a`, `${USER}:b`]);
    expect(users[0]._rawData[0].rawData.id).toBe('a');
  });

  it('sync: bad flags and config are usage errors naming them', async () => {
    expect(await cli('sync', '--max-delete-share', '2')).toMatchObject({
      code: 2,
      stderr: "error: --max-delete-share must be a number from 0 to 1, got '2'\n",
    });
    const missing = await cli('sync', '--config', join(dir, 'absent.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('absent.yaml: cannot read the config file');
  });
});
