import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../src/config/load.js';
import { runCli } from '../sync/cli.js';

/** Defects 8 and 9 (config half): every config error names file and line and exits 2; secrets warn. */

const dir = mkdtempSync(join(tmpdir(), 'dg-config-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** 10⁶ expansions from a few lines: the yaml library stops it with "Excessive alias count". */
const LAUGHS = `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
instances: []
`;

const INSTANCE = `instances:
  - name: contoso
    tenantId: 11111111-2222-3333-4444-555555555555
    clientId: app-id
`;

function configError(path: string): string {
  try {
    loadConfigFile(path, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`${path} loaded without an error`);
}

describe('config errors name the file and line', () => {
  it('an alias bomb: the first alias line, the library reason', () => {
    const path = file('laughs.yaml', LAUGHS);
    expect(configError(path)).toBe(
      `${path}:2: YAML aliases cannot be expanded (Excessive alias count indicates a resource exhaustion attack)`,
    );
  });

  it('an alias to an anchor never set: that alias line', () => {
    const path = file(
      'unresolved.yaml',
      `${INSTANCE}    clientSecret: fine\n    caFile: *nowhere\n`,
    );
    expect(configError(path)).toBe(
      `${path}:6: YAML aliases cannot be expanded (Unresolved alias (the anchor must be set before the alias): nowhere)`,
    );
  });

  it('a secret from an unset environment variable: the clientSecret line', () => {
    const path = file('unset.yaml', `${INSTANCE}    clientSecret: \${DG_NOT_SET_ANYWHERE}\n`);
    expect(configError(path)).toBe(
      `${path}:5: instances[0] (contoso).clientSecret: environment variable DG_NOT_SET_ANYWHERE is not set`,
    );
  });

  it('the CLI exits 2 with the message, and with --json prints a config document', async () => {
    const path = file('laughs-cli.yaml', LAUGHS);
    const db = `sqlite:${join(dir, 'never-created.db')}`;
    const human = await runCli(['sync', '--config', path, '--db', db]);
    expect(human).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `error: ${path}:2: YAML aliases cannot be expanded (Excessive alias count indicates a resource exhaustion attack)\n`,
    });
    const json = await runCli(['sync', '--config', path, '--db', db, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 'config',
        exitCode: 2,
        message: `${path}:2: YAML aliases cannot be expanded (Excessive alias count indicates a resource exhaustion attack)`,
      },
    });
  });
});

describe('a config file holding a secret', () => {
  const literal = `${INSTANCE}    clientSecret: literal-secret\n`;

  it('warns when group or others can read it', () => {
    const forOthers = file('others.yaml', literal, 0o644);
    expect(loadConfigFile(forOthers, {}).warnings).toEqual([
      `${forOthers}: holds a client secret and is readable by others (mode 644); run: chmod 600 ${forOthers}`,
    ]);
    const forGroup = file('group.yaml', literal, 0o640);
    expect(loadConfigFile(forGroup, {}).warnings).toEqual([
      `${forGroup}: holds a client secret and is readable by its group (mode 640); run: chmod 600 ${forGroup}`,
    ]);
  });

  it('stays quiet at 0600, and for a secret read from the environment', () => {
    expect(loadConfigFile(file('owner.yaml', literal, 0o600), {}).warnings).toEqual([]);
    const fromEnv = file('env.yaml', `${INSTANCE}    clientSecret: \${DG_SECRET}\n`, 0o644);
    expect(loadConfigFile(fromEnv, { DG_SECRET: 's' }).warnings).toEqual([]);
  });

  it('the CLI prints the warning on stderr and goes on', async () => {
    const path = file('cli-others.yaml', literal, 0o644);
    // An unsupported store URL stops the sync right after the config is read: no network.
    const result = await runCli(['sync', '--config', path, '--db', 'nope:']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `warning: ${path}: holds a client secret and is readable by others (mode 644); run: chmod 600 ${path}\n` +
        'error: --db: unsupported store URL "nope:" (use a file path, sqlite:PATH or postgres://USER@HOST:PORT/DB)\n',
    );
  });
});
