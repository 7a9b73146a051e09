import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../sync/cli.js';

const ALWAYS = `
- name: always-open
  description: Holds on any graph, even an empty one.
  question:
    queries:
      - query: FIND microsoft_defender_machine
  operations:
    - when: { type: FILTER, condition: ["queries.query0.total", ">=", 0] }
      actions:
        - { type: SET_PROPERTY, targetProperty: alertLevel, targetValue: LOW }
        - { type: CREATE_ALERT }
`;

describe('rules and alerts commands', () => {
  let dir: string;
  let db: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dg-alerts-cli-'));
    db = `sqlite:${join(dir, 'graph.db')}`;
    writeFileSync(join(dir, 'rules.yaml'), ALWAYS);
    writeFileSync(join(dir, 'bad.yaml'), '- name: bad\n  queries: []\n');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports, runs a rule, lists, shows and acknowledges its alert; errors exit 2 and 5', async () => {
    const bad = await runCli(['rules', 'import', join(dir, 'bad.yaml'), '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `error: ${join(dir, 'bad.yaml')}: rule 1 (bad): queries: Too small: expected array to have >=1 items\n`,
    );

    const imported = await runCli([
      'rules',
      'import',
      join(dir, 'rules.yaml'),
      '--db',
      db,
      '--json',
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({
      added: ['always-open'],
      updated: [],
      unchanged: [],
      questions: 0,
    });

    const run = await runCli(['rules', 'run', 'always-open', '--db', db, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      alertId: number;
      alertStatus: string;
      resultSize: number;
    };
    expect(summary).toMatchObject({ alertStatus: 'new', resultSize: 0 });

    const list = await runCli(['alerts', '--db', db, '--json']);
    expect(
      (JSON.parse(list.stdout) as { id: number; level: string; status: string }[]).map((a) => [
        a.id,
        a.level,
        a.status,
      ]),
    ).toEqual([[summary.alertId, 'LOW', 'new']]);

    const ack = await runCli([
      'alerts',
      'ack',
      String(summary.alertId),
      '--note',
      'expected on empty graphs',
      '--db',
      db,
      '--json',
    ]);
    expect(ack.code, ack.stderr).toBe(0);
    expect(JSON.parse(ack.stdout)).toMatchObject({
      status: 'acknowledged',
      note: 'expected on empty graphs',
    });

    const show = await runCli(['alerts', 'show', String(summary.alertId), '--db', db, '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({
      ruleName: 'always-open',
      status: 'acknowledged',
      rows: { query0: [] },
      evaluations: [{ trigger: 'manual', status: 'success', resultSize: 0, conditionMet: true }],
    });

    const missing = await runCli(['alerts', 'show', '999', '--db', db]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toBe('error: no alert with id 999\n');
    const disabled = await runCli(['rules', 'disable', 'nope', '--db', db]);
    expect(disabled.code).toBe(5);
  });
});
