import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openGraphStore } from '../../src/store/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { runCli, startCli, waitForStderr, writeConfig } from '../sync/cli.js';

// Each case runs the built CLI several times: minutes on a loaded machine, not seconds.
vi.setConfig({ testTimeout: 240_000 });

/** Issue 14: logs a person reads (or JSON a script reads), validate's failures, Ctrl+C in sync. */
describe('logs, validate failures and interrupted syncs (built CLI)', () => {
  let emulator: TestEmulator;
  let dir: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    dir = mkdtempSync(join(tmpdir(), 'dg-logs-'));
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('validate: a probe that meets network errors exits 1 (not 4); its retries are logged as chosen', async () => {
    const config = writeConfig(dir, emulator.config);
    await emulator.setFaults({ resetRate: 1, paths: ['/defender/api/vulnerabilities'] });
    try {
      const validate = (...extra: string[]) => runCli(['validate', '--config', config, ...extra]);
      const [pretty, json, quiet] = await Promise.all([
        validate('--log-format', 'pretty'),
        validate('--log-format', 'json'),
        validate('--quiet'),
      ]);
      for (const result of [pretty, json, quiet]) {
        expect(result.code, result.stderr).toBe(1);
        expect(result.stdout).toMatch(
          /Vulnerability\.Read\.All\s+│ WindowsDefenderATP\s+│ unknown/,
        );
        expect(result.stdout).toContain(
          'Could not check: WindowsDefenderATP Vulnerability.Read.All:',
        );
        // Types lost are listed for missing permissions only.
        expect(result.stdout).not.toContain('Not collected without it');
      }
      // Readable: time, level, message, then the fields; no JSON braces.
      const prettyLines = pretty.stderr.split('\n').filter((l) => l.includes('retrying'));
      expect(prettyLines.length).toBeGreaterThan(0);
      for (const line of prettyLines)
        expect(line).toMatch(
          /^\d\d:\d\d:\d\dZ WARN {2}retrying: defender GET \/api\/vulnerabilities: network error .* {2}endpoint="defender GET \/api\/vulnerabilities" {2}delayMs=\d+$/,
        );
      // JSON lines: one object per line, pino's fields.
      const jsonLines = json.stderr.split('\n').filter((l) => l.includes('retrying'));
      expect(jsonLines.length).toBe(prettyLines.length);
      for (const line of jsonLines)
        expect(JSON.parse(line)).toMatchObject({
          level: 40,
          name: 'defender-graph',
          endpoint: 'defender GET /api/vulnerabilities',
        });
      expect(quiet.stderr).not.toContain('retrying');
    } finally {
      await emulator.clearFaults();
    }
  });

  it('--quiet and --verbose cannot be combined (exit 2)', async () => {
    const result = await runCli(['status', '--quiet', '--verbose']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "option '-q, --quiet' cannot be used with option '-v, --verbose'",
    );
  });

  it('sync shows quota waits, and Ctrl+C says nothing was committed and exits 130', async () => {
    // The client paces to a twentieth of the Defender quotas: it waits almost at once.
    const config = writeConfig(dir, { ...emulator.config, quotaScale: 0.02 });
    const url = `sqlite:${join(dir, 'interrupted.db')}`;
    const { child, done } = startCli(['sync', '--config', config, '--db', url]);
    await waitForStderr(child, 'quota, resumes in');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(
      /waiting for the (Defender|Microsoft Graph) quota, resumes in \d+ s/,
    );
    expect(result.stderr).toContain('interrupted; nothing committed\n');
    expect(result.stdout).toBe('');
    const store = await openGraphStore(url);
    try {
      const [sync] = await store.listSyncs();
      expect(sync?.status).toBe('failed');
      expect(sync?.error).toBe(
        'interrupted (Ctrl+C) before the sync committed; the previous graph was kept',
      );
      expect(await store.read('SELECT key FROM entities', [])).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
