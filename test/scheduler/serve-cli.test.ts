import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore } from '../../src/store/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { runCli, startCli, waitForStderr, writeConfig } from '../sync/cli.js';

describe('serve, run and status commands', () => {
  let emulator: TestEmulator;
  let dir: string;
  let config: string;
  let db: string;

  beforeAll(async () => {
    emulator = await startTestEmulator({ machines: 8, users: 10 });
    dir = mkdtempSync(join(tmpdir(), 'dg-serve-'));
    config = writeConfig(dir, { ...emulator.config, name: 'lab', pollingInterval: 'DISABLED' });
    db = `sqlite:${join(dir, 'graph.db')}`;
  });

  afterAll(async () => {
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs a DISABLED instance only when `run` asks, reports it in `status`, and stops on SIGTERM with exit 0', async () => {
    const before = await runCli(['status', '--config', config, '--db', db, '--json']);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual({
      instances: [{ name: 'lab', pollingInterval: 'DISABLED', running: false, requested: false }],
      openAlerts: [],
    });

    const serve = startCli([
      'serve',
      '--config',
      config,
      '--db',
      db,
      '--poll',
      '0.2',
      '--port',
      '0',
    ]);
    try {
      await waitForStderr(serve.child, '"msg":"serving"');
      const run = await runCli(['run', 'lab', '--config', config, '--db', db, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ queued: true, instance: 'lab' });
      await waitForStderr(serve.child, '"msg":"sync ended"');
    } finally {
      serve.child.kill('SIGTERM');
    }
    const ended = await serve.done;
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stderr).toContain('"msg":"stopped"');

    const after = await runCli(['status', '--config', config, '--db', db, '--json']);
    const [lab] = (
      JSON.parse(after.stdout) as {
        instances: { lastSync: { id: number; status: string }; running: boolean }[];
      }
    ).instances;
    expect(lab!.lastSync.status).toBe('success');
    expect(lab!.running).toBe(false);
    const store = await openGraphStore(db);
    try {
      expect(await store.read('SELECT * FROM instance_locks', [])).toEqual([]);
      expect(await store.read('SELECT * FROM sync_requests', [])).toEqual([]);
    } finally {
      await store.close();
    }

    const unknown = await runCli(['run', 'nope', '--config', config, '--db', db]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: no instance named "nope" in the config (have: lab)\n');
  });
});
