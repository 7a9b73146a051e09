import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * The packed tarball installed globally into a temporary prefix, run from a folder outside the
 * repository: what `npm install -g` gives a user. Needs the build (`npm test` builds first).
 */
describe('npm pack, then npm install -g of the tarball', () => {
  const work = mkdtempSync(join(tmpdir(), 'dg-install-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs a defender-graph binary that runs --help and the demo outside the repository', async () => {
    expect(existsSync('dist/cli/main.js')).toBe(true);
    const { stdout: packed } = await run(
      'npm',
      ['pack', '--pack-destination', work, '--ignore-scripts', '--silent'],
      { encoding: 'utf8' },
    );
    const tarball = join(work, packed.trim().split('\n').pop()!);
    const prefix = join(work, 'prefix');
    // Scripts off: better-sqlite3 would fetch its prebuilt binary from GitHub, which this test
    // machine may not reach; the repository's build of the same version stands in for it below.
    await run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        tarball,
      ],
      { encoding: 'utf8', cwd: work },
    );
    const installed = join(prefix, 'lib/node_modules/defender-graph');
    const binding = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    mkdirSync(join(installed, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
    copyFileSync(resolve(binding), join(installed, binding));
    // Only what users need is packed: no sources, tests or docs.
    expect(readdirSync(installed).sort()).toEqual([
      'README.md',
      'dist',
      'node_modules',
      'package.json',
      'rules',
      // The web UI's build, when `npm run build` made it.
      ...(existsSync('web/dist') ? ['web'] : []),
    ]);

    const bin = join(prefix, 'bin/defender-graph');
    const outside = join(work, 'elsewhere');
    mkdirSync(outside);
    const helpText = await run(bin, ['--help'], { encoding: 'utf8', cwd: outside });
    expect(helpText.stdout).toContain('Usage: defender-graph [options] [command]');
    expect(helpText.stderr).toBe('');

    const demo = await run(
      bin,
      ['demo', '--users', '20', '--groups', '4', '--machines', '10', '--cves', '10'],
      { encoding: 'utf8', cwd: outside, env: withoutStoreUrl() },
    );
    expect(demo.stdout).toContain('Where to look next');
    expect(existsSync(join(outside, 'data/defender-graph.db'))).toBe(true);
    expect(existsSync(join(outside, 'data/demo/defender-graph.yaml'))).toBe(true);
  }, 300_000);
});

/** The demo's default store, whatever the test run's environment names. */
function withoutStoreUrl(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DEFENDER_GRAPH_DB;
  return env;
}
