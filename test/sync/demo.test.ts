import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, runCli, type CliResult } from './cli.js';

/** The demo's "next steps": the lines a user pastes, `# …` comments included. */
function nextSteps(stdout: string): string[] {
  const block = stdout.slice(stdout.indexOf('Where to look next'));
  return [...block.matchAll(/^ {2}(defender-graph .*)$/gm)].map((m) => m[1]!);
}

describe('demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // `defender-graph` on PATH, as after an install: each suggested line runs exactly as printed.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'defender-graph'),
    `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`,
  );
  chmodSync(join(bin, 'defender-graph'), 0o755);
  const shellEnv = {
    ...process.env,
    PATH: `${bin}${delimiter}${process.env.PATH}`,
    DEFENDER_GRAPH_DB: '',
  };
  const shell = (line: string) => {
    // `exec`: the CLI itself gets the signals sent to the child.
    const child = spawn('sh', ['-c', `exec ${line}`], { cwd: dir, env: shellEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = new Promise<CliResult>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
    );
    const printed = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          if (stdout.includes(text)) {
            clearInterval(poll);
            resolve();
          }
        }, 100);
        void done.then(() => {
          clearInterval(poll);
          if (!stdout.includes(text))
            reject(new Error(`ended before "${text}":\n${stdout}\n${stderr}`));
        });
      });
    return { child, done, printed, stdout: () => stdout };
  };

  it('syncs the simulated tenant, and every next step it suggests runs as printed and does what it says, leaking no secret', async () => {
    const db = `sqlite:${join(dir, 'graph.db')}`;
    const sizes = ['--users', '30', '--groups', '5', '--machines', '12', '--cves', '15'];
    const demo = await runCli(['demo', '--data-dir', join(dir, 'demo'), '--db', db, ...sizes], {
      DEFENDER_GRAPH_DB: '',
    });
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/^sync #1 of instance "demo": success/);
    expect(demo.stdout).toMatch(/│ microsoft_defender_machine\s+│ 12\s+│ 0\s+│ 0\s+│/);
    // The people query the demo prints returns rows (its roster has departed people still enabled).
    const people = /People the roster says have left[^\n]*\n[^\n]*\n([\s\S]*?)\n(\d+) rows?\n/.exec(
      demo.stdout,
    );
    expect(Number(people?.[2])).toBeGreaterThan(0);
    expect(people?.[1]).toMatch(/terminated|leave/);

    const configFile = join(dir, 'demo', 'defender-graph.yaml');
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const secret = parse(readFileSync(configFile, 'utf8')).instances[0].clientSecret as string;
    expect(secret.length).toBeGreaterThan(10);
    expect(demo.stdout + demo.stderr).not.toContain(secret);

    const steps = nextSteps(demo.stdout);
    expect(steps).toHaveLength(9);
    expect(steps).toContainEqual(
      expect.stringMatching(
        /^defender-graph history microsoft_defender_machine:[0-9a-f]{40} --db /,
      ),
    );
    const rerun = steps.find((s) => s.includes('demo --keep-running'))!;
    expect(rerun).toBe(
      `defender-graph demo --keep-running --data-dir ${join(dir, 'demo')} --db ${db} ${sizes.join(' ')}   # syncs the same tenant again and keeps it running; it then prints the sync command to run from another terminal`,
    );

    // Every look-around step: exit 0, no error, something printed (or the file written).
    const looks = await Promise.all(steps.filter((s) => s !== rerun).map((s) => shell(s).done));
    looks.forEach((result, i) => {
      expect(result.code, `${steps[i]}\n${result.stderr}`).toBe(0);
      expect(result.stderr).not.toMatch(/error|warning/);
      expect(result.stdout + result.stderr).not.toContain(secret);
    });
    expect(readFileSync(join(dir, 'graph.jsonl'), 'utf8')).toMatch(/microsoft_defender_machine/);

    // Syncing again: the demo kept running, then the sync line it prints, from another shell.
    const running = shell(rerun);
    await running.printed('simulated tenant running at');
    expect(running.stdout()).toMatch(/^sync #2 of instance "demo": success/);
    const syncLine = nextSteps(running.stdout()).find((s) => s.startsWith('defender-graph sync'))!;
    expect(syncLine).toBe(
      `defender-graph sync --config ${configFile} --db ${db}   # from another terminal while this runs: syncs the tenant again into instance "demo"`,
    );
    const synced = await shell(syncLine).done;
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.stdout).toMatch(/^sync #3 of instance "demo": success/);
    // The same tenant, the same instance: 12 machines, not a second copy under another name.
    const machines = await runCli([
      'query',
      '--db',
      db,
      '--json',
      'FIND microsoft_defender_machine',
    ]);
    const list = JSON.parse(machines.stdout) as {
      data: { entity: { _integrationName: string } }[];
    };
    expect(list.data).toHaveLength(12);
    expect(new Set(list.data.map((d) => d.entity._integrationName))).toEqual(new Set(['demo']));
    running.child.kill('SIGINT');
    expect((await running.done).code).toBe(0);

    // The demo's tenant stopped with the demo: a sync now fails cleanly and says why, secret-free.
    const record = await runCli(['sync', '--config', configFile, '--db', db, '--json']);
    expect(record.code).toBe(1);
    expect(JSON.parse(record.stdout).status).toBe('failed');
    expect(record.stdout + record.stderr).not.toContain(secret);
  }, 300_000);
});
