import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { createTestDatabase } from '../support/postgres.js';
import { until } from '../support/until.js';
import { startCli, waitForStderr, type CliResult } from '../sync/cli.js';

describe('three serve processes sharing work through the PostgreSQL job queue', () => {
  let emulator: TestEmulator;
  let db: { url: string; drop: () => Promise<void> };
  let store: GraphStore;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    emulator = await startTestEmulator({ machines: 24, users: 20, groups: 4 });
    db = await createTestDatabase('jobqueue');
    store = await openGraphStore(db.url);
    dir = mkdtempSync(join(tmpdir(), 'dg-jobs-'));
    config = join(dir, 'defender-graph.yaml');
    writeFileSync(
      config,
      stringify({
        instances: [{ ...emulator.config, name: 'lab', pollingInterval: 'THIRTY_MINUTES' }],
      }),
      { mode: 0o600 },
    );
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries a sync whose worker was SIGKILLed on another worker: one commit, one evaluation per rule, no duplicate alert', async () => {
    // Slow logon-user calls keep the first sync running long enough to kill its worker.
    await emulator.setFaults({ latencyMs: 700, paths: ['/defender/api/machines/'] });
    const args = [
      'serve',
      '--config',
      config,
      '--db',
      db.url,
      '--poll',
      '0.5',
      '--job-timeout',
      '4',
      '--maintenance',
      '1',
      '--port',
      '0',
    ];
    const workers = [startCli(args), startCli(args), startCli(args)];
    const ended: Promise<CliResult>[] = workers.map((w) => w.done);
    // A failure names the phase it stopped in and shows what each worker logged.
    let phase = 'waiting for a worker to start the sync job';
    const explain = async (err: unknown): Promise<never> => {
      const logs = await Promise.all(
        workers.map(async (w, i) => {
          const r = await Promise.race([w.done, sleep(2000).then(() => undefined)]);
          const state = r ? `ended ${r.signal ?? r.code}` : 'running';
          return `--- worker ${i} (${state}):\n${(r?.stderr ?? w.stderr()).slice(-4000)}`;
        }),
      );
      throw new Error(`${phase}: ${(err as Error).message}\n${logs.join('\n')}`);
    };
    try {
      const first = await Promise.race([
        Promise.any(
          workers.map((w, i) => waitForStderr(w.child, 'sync job started').then(() => i)),
        ),
        sleep(40_000).then(() => Promise.reject(new Error('no worker started it within 40 s'))),
      ]);
      phase = 'waiting for the first sync to be collecting';
      await until(
        'the first sync to be collecting',
        () =>
          store.read<{ n: string }>("SELECT COUNT(*) AS n FROM syncs WHERE status = 'running'", []),
        (rows) => Number(rows[0]!.n) === 1,
      );
      workers[first]!.child.kill('SIGKILL');
      await emulator.clearFaults();

      phase = 'waiting for the retried sync to commit';
      const syncs = await until(
        'a committed sync',
        () =>
          store.read<{ status: string; error: string | null }>(
            'SELECT status, error FROM syncs ORDER BY id',
            [],
          ),
        (rows) => rows.some((r) => r.status === 'success'),
      );
      expect(syncs).toEqual([
        {
          status: 'failed',
          error:
            'interrupted: the sync process ended before it committed; the previous graph was kept',
        },
        { status: 'success', error: null },
      ]);
      phase = 'waiting for the rule evaluations';
      const rules = await store.read<{ n: string }>('SELECT COUNT(*) AS n FROM alert_rules', []);
      const evaluations = await until(
        'every rule evaluated after the sync',
        () =>
          store.read<{ rule_id: string; n: string }>(
            "SELECT rule_id, COUNT(*) AS n FROM rule_evaluations WHERE trigger = 'sync' GROUP BY rule_id",
            [],
          ),
        (rows) => rows.length === Number(rules[0]!.n),
      );
      expect(evaluations.every((r) => Number(r.n) === 1)).toBe(true);
      const duplicates = await store.read(
        'SELECT rule_id FROM alerts GROUP BY rule_id HAVING COUNT(*) > 1',
        [],
      );
      expect(duplicates).toEqual([]);
    } catch (err) {
      await explain(err);
    } finally {
      await emulator.clearFaults();
      for (const [i, w] of workers.entries())
        if (w.child.exitCode === null && w.child.signalCode === null)
          workers[i]!.child.kill('SIGTERM');
    }
    phase = 'waiting for the workers to stop after SIGTERM';
    const results = await Promise.race([
      Promise.all(ended),
      sleep(30_000).then(() => explain(new Error('a worker did not exit within 30 s'))),
    ]);
    const failed = results.filter((r) => r.code !== 0 && r.signal !== 'SIGKILL');
    expect(
      results.map((r) => r.signal ?? r.code).sort(),
      failed.map((r) => r.stderr.slice(-2000)).join('\n---\n'),
    ).toEqual([0, 0, 'SIGKILL']);
  }, 150_000);
});
