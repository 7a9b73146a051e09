import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openGraphStore } from '../../src/store/index.js';
import { prettyLogLine } from '../../src/util/log-format.js';
import { wrap, showValue } from '../../src/cli/output.js';
import { machine, MACHINE, run, step, user, USER } from '../store/fixtures.js';
import { runCli } from '../sync/cli.js';

// Each case runs the built CLI several times: minutes on a loaded machine, not seconds.
vi.setConfig({ testTimeout: 240_000 });

const hasZsh = (() => {
  try {
    execFileSync('zsh', ['-c', 'true']);
    return true;
  } catch {
    return false;
  }
})();

/** Issue 14: output a script can parse (stdout, completion), errors a person understands. */
describe('output paths, file errors and shell completion (built CLI)', () => {
  let dir: string;
  let db: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dg-output-'));
    db = `sqlite:${join(dir, 'graph.db')}`;
    const store = await openGraphStore(db);
    const session = await store.beginSync('acme');
    await session.addEntities('users', [user('a')]);
    await session.addEntities('machines', [machine('m1')]);
    await session.commit(run([step('users', [USER]), step('machines', [MACHINE])]));
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--output - writes the export to stdout and says what it wrote on stderr', async () => {
    const jsonl = await runCli(['export', '--format', 'jsonl', '-o', '-', '--db', db]);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    const keys = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)._key);
    expect(keys).toEqual([`${MACHINE}:m1`, `${USER}:a`]);
    expect(jsonl.stderr).toBe('wrote 2 entities and 0 relationships to stdout (jsonl)\n');

    const csv = await runCli(['export', '--format', 'csv', '--output', '-', '--db', db]);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toMatch(/^kind,_key,_type,/);
    expect(csv.stdout.trim().split('\n')).toHaveLength(3);

    const model = await runCli(['docs', 'model', '--output', '-']);
    expect(model.code).toBe(0);
    expect(model.stdout.startsWith('# Data model\n')).toBe(true);
  });

  it('--output - where it cannot mean stdout is a usage error', async () => {
    const j1 = await runCli(['export', '--format', 'j1', '--output', '-', '--db', db]);
    expect(j1).toMatchObject({
      code: 2,
      stderr: 'error: --output -: --format j1 writes a folder, not one stream: give a folder\n',
    });
    const both = await runCli(['export', '--format', 'jsonl', '-o', '-', '--json', '--db', db]);
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout).error).toEqual({
      code: 'usage',
      message: '--output - and --json both write to stdout: leave out one of them',
      exitCode: 2,
    });
    const collect = await runCli(['collect', '--output', '-']);
    expect(collect.code).toBe(2);
    expect(collect.stderr).toContain('--output -: collect writes a folder');
  });

  it('"permission denied" and "not a directory" are said as such, exit 1, no stack trace', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    // sysfs refuses new files even to root, so this holds whoever runs the tests.
    const denied = await runCli(['export', '--format', 'jsonl', '-o', '/sys/x.jsonl', '--db', db]);
    expect(denied).toMatchObject({ code: 1, stderr: 'error: /sys/x.jsonl: permission denied\n' });
    const notDir = await runCli([
      'export',
      '--format',
      'jsonl',
      '-o',
      join(file, 'x.jsonl'),
      '--db',
      db,
      '--json',
    ]);
    expect(notDir.code).toBe(1);
    expect(JSON.parse(notDir.stdout).error).toEqual({
      code: 'file',
      message: `${file}: not a directory`,
      exitCode: 1,
    });
    // A command that creates its store (read-only ones refuse a missing one before opening it).
    const store = await runCli([
      'users',
      'token',
      'add',
      'nobody',
      '--db',
      `sqlite:${join(file, 'x.db')}`,
    ]);
    expect(store).toMatchObject({
      code: 1,
      stderr: `error: cannot open the store sqlite:${join(file, 'x.db')}: ${file}: not a directory\n`,
    });
    const storeDenied = await runCli([
      'users',
      'token',
      'add',
      'nobody',
      '--db',
      'sqlite:/sys/x.db',
    ]);
    expect(storeDenied).toMatchObject({
      code: 1,
      stderr: 'error: cannot open the store sqlite:/sys/x.db: /sys/x.db: permission denied\n',
    });
  });

  it('completion bash: commands, options and choices, from the program itself', async () => {
    const generated = await runCli(['completion', 'bash']);
    expect(generated.code).toBe(0);
    const script = join(dir, 'completion.bash');
    writeFileSync(script, generated.stdout);
    const complete = (...words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _defender_graph; printf '%s\\n' "\${COMPREPLY[@]}"`,
          script,
          'defender-graph',
          ...words,
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
    expect(complete('pr')).toEqual(['prune']);
    expect(complete('export', '--format', '')).toEqual(['jsonl', 'csv', 'j1']);
    expect(complete('alerts', 'list', '--d')).toEqual(['--db']);
    expect(complete('users', 'token', '')).toEqual(['add', 'list', 'remove', '--help']);
    expect(complete('sync', '--db', 'x', '--log-format', '')).toEqual(['auto', 'pretty', 'json']);

    // The shared options read the same on every command that has them (the completion lists them).
    const cases = [...generated.stdout.matchAll(/^ {4}'([a-z ]*)'\) words_='([^']*)' ;;$/gm)];
    expect(cases.length).toBeGreaterThan(30);
    for (const [, path, words] of cases) {
      const list = words!.split(' ');
      const isLeaf = !list.some((w) => /^[a-z]/.test(w));
      if (list.includes('--config'))
        expect([path, list]).toEqual([path, expect.arrayContaining(['-c'])]);
      if (list.includes('--instance'))
        expect([path, list]).toEqual([path, expect.arrayContaining(['-i'])]);
      if (list.includes('--output'))
        expect([path, list]).toEqual([path, expect.arrayContaining(['-o'])]);
      if (isLeaf && path !== '')
        expect([path, list]).toEqual([
          path,
          expect.arrayContaining(['--quiet', '-q', '--verbose', '-v', '--log-format']),
        ]);
    }
  });

  // Completion itself needs an interactive zsh; here its helpers are stubbed to print what they get.
  it.skipIf(!hasZsh)(
    'completion zsh: the script completes commands, options and choices in zsh',
    async () => {
      const script = join(dir, 'completion.zsh');
      writeFileSync(script, (await runCli(['completion', 'zsh'])).stdout);
      const complete = (...words: string[]) =>
        execFileSync(
          'zsh',
          [
            '-c',
            'compdef() { :; }; _describe() { print -l -- ${(P)4}; }; compadd() { shift; print -l -- "$@"; }; source "$0"; words=(defender-graph "$@"); CURRENT=$#words; _defender_graph',
            script,
            ...words,
          ],
          { encoding: 'utf8' },
        )
          .trim()
          .split('\n');
      expect(complete('export', '--format', '')).toEqual(['jsonl', 'csv', 'j1']);
      expect(complete('users', 'token', '')).toEqual([
        'add:Create a token; it is printed once and only its SHA-256 is stored.',
        'list:List tokens (ids and labels; the tokens themselves are not stored).',
        'remove:Revoke a token.',
        '--help:display help',
      ]);
      expect(complete('prune', '')).toContain(
        '--keep:the window to keep, e.g. 90d, 12w, 720h (default: retention.keep of the config)',
      );
    },
  );

  it('completion zsh prints a compdef script; an unknown shell exits 2', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef defender-graph');
    expect(zsh.stdout).toContain("'prune:Remove history older than a window");
    expect(zsh.stdout).toContain('compdef _defender_graph defender-graph');
    const fish = await runCli(['completion', 'fish']);
    expect(fish.code).toBe(2);
    expect(fish.stderr).toContain(
      "error: command-argument value 'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh.",
    );
  });
});

describe('readable log lines and wrapping', () => {
  it('a pino line becomes time, level, message and fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 10, 30, 7, 4, 31),
      pid: 1,
      hostname: 'h',
      name: 'defender-graph',
      msg: 'retrying: 503',
      endpoint: 'defender GET /api/machines',
      delayMs: 1000,
      err: { message: 'other side closed', stack: 'Error: …' },
    });
    expect(prettyLogLine(line)).toBe(
      '07:04:31Z WARN  retrying: 503  endpoint="defender GET /api/machines"  delayMs=1000  err="other side closed"\n',
    );
    expect(prettyLogLine(line, true)).toContain('\u001b[33mWARN \u001b[0m');
    expect(prettyLogLine('not json')).toBe('not json\n');
  });

  it('wrap breaks at spaces within the width; …On values read as ISO 8601', () => {
    expect(wrap('aaa bbb ccc ddd eee fff ggg hhh iii', 24, '  ')).toBe(
      '  aaa bbb ccc ddd eee\n  fff ggg hhh iii',
    );
    expect(showValue('lastSeenOn', Date.UTC(2026, 0, 2))).toBe(
      '"2026-01-02T00:00:00.000Z"'.slice(1, -1),
    );
    expect(showValue('riskScore', 'High')).toBe('"High"');
    expect(showValue('x', undefined)).toBe('(none)');
  });
});
