import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore } from '../../src/store/index.js';
import { BACKENDS } from '../store/backends.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { emulatorAndStore } from './emulator-store.js';
import { runCli, writeConfig, type CliResult } from './cli.js';
import { expectedFromTruth, liveKeys, storedFacts } from './graph-truth.js';

/** Defect 6: with --json, every outcome is one JSON document on stdout, errors included. */

function errorDocument(result: CliResult): { code: string; message: string; exitCode: number } {
  const document = JSON.parse(result.stdout) as {
    error: { code: string; message: string; exitCode: number };
  };
  expect(Object.keys(document)).toEqual(['error']);
  return document.error;
}

describe.each(BACKENDS)('--json errors of the store commands on $name', (backend) => {
  const t = emulatorAndStore(backend, 'jsonerrors');

  const cli = (...args: string[]) => runCli([...args, '--db', t.db.url]);

  it('a sync that finds its instance locked prints a sync_busy document, exits 1 and changes nothing', async () => {
    const first = await cli('sync', '--config', t.config, '--json');
    expect(first.code, first.stderr).toBe(0);
    const instance = JSON.parse(first.stdout).instanceName as string;
    const before = await liveKeys(t.store);

    const holder = await t.store.beginSync(instance);
    const busy = await cli('sync', '--config', t.config, '--json');
    expect(busy.code).toBe(1);
    const error = errorDocument(busy);
    expect(error).toEqual({
      code: 'sync_busy',
      exitCode: 1,
      message: expect.stringMatching(
        new RegExp(
          `^instance "${instance}" is already being synced by sync #${holder.syncId} \\(pid ${process.pid} on .+, started .+\\); two syncs of one instance never run at once$`,
        ),
      ) as string,
    });
    expect(busy.stderr).toBe(`error: ${error.message}\n`);
    await holder.fail(new Error('released by the test'));
    expect(await liveKeys(t.store)).toEqual(before);

    const next = await cli('sync', '--config', t.config, '--json');
    expect(next.code, next.stderr).toBe(0);
    expect(await storedFacts(t.store)).toEqual(expectedFromTruth(await t.emulator.truth()));
  }, 120_000);

  it('query, history, changes and export errors are documents with their code and exit code', async () => {
    const syntax = await cli('query', 'FIND WITH', '--json');
    expect(syntax.code).toBe(2);
    expect(errorDocument(syntax)).toMatchObject({ code: 'query', exitCode: 2 });
    const formatJson = await cli('query', 'FIND WITH', '--format', 'json');
    expect(formatJson.code).toBe(2);
    expect(errorDocument(formatJson).code).toBe('query');

    const history = await cli('history', 'no-such-key', '--json');
    expect(history.code).toBe(1);
    expect(errorDocument(history)).toEqual({
      code: 'failed',
      exitCode: 1,
      message: 'no entity or relationship with _key "no-such-key" in the store',
    });

    const changes = await cli('changes', '--since', 'soon', '--json');
    expect(changes.code).toBe(2);
    expect(errorDocument(changes)).toEqual({
      code: 'usage',
      exitCode: 2,
      message: "--since must be a duration such as 30m, 24h or 7d, got 'soon'",
    });

    const unknownFlag = await cli(...'export --format jsonl --output x --bogus --json'.split(' '));
    expect(unknownFlag.code).toBe(2);
    expect(errorDocument(unknownFlag)).toMatchObject({ code: 'usage', exitCode: 2 });
  });
});

describe('--json errors without a store', () => {
  it('an unreachable store is a store document with exit code 1', async () => {
    const unreachable = 'postgres://nobody@127.0.0.1:1/none';
    const result = await runCli(['query', 'FIND User', '--db', unreachable, '--json']);
    expect(result.code).toBe(1);
    expect(errorDocument(result)).toMatchObject({ code: 'store', exitCode: 1 });
    expect(errorDocument(result).message).toMatch(
      /^cannot open the store postgres:\/\/nobody@127\.0\.0\.1:1\/none: /,
    );
  });
});

const root = process.getuid?.() === 0;

/**
 * A real full disk: SQLite on a small tmpfs (mounting needs root, so this runs where the tests run
 * as root, as on the CI machine). The failing sync prints one JSON document; its staging is gone
 * after the next sync, which commits the truth.
 */
describe.runIf(root)('a full disk on sqlite', () => {
  let emulator: TestEmulator;
  let mount: string;
  let dir: string;
  let config: string;
  let url: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    mount = mkdtempSync(join(tmpdir(), 'dg-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mount]);
    dir = mkdtempSync(join(tmpdir(), 'dg-full-config-'));
    config = writeConfig(dir, emulator.config);
    url = `sqlite:${join(mount, 'graph.db')}`;
  });
  afterAll(async () => {
    await emulator?.close();
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  /** Fills the file system to the last byte. */
  function fill(file: string): void {
    const fd = openSync(file, 'w');
    const chunk = Buffer.alloc(64 * 1024);
    try {
      for (;;) writeSync(fd, chunk);
    } catch {
      for (let size = chunk.length / 2; size >= 1; size /= 2) {
        try {
          for (;;) writeSync(fd, chunk.subarray(0, size));
        } catch {
          // Next, smaller size.
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  it('prints one JSON document, exits 1, keeps the graph and leaves no staging after the next sync', async () => {
    const sync = () => runCli(['sync', '--config', config, '--db', url, '--json']);
    const first = await sync();
    expect(first.code, first.stderr).toBe(0);
    const store = await openGraphStore(url);
    try {
      const before = await liveKeys(store);
      await emulator.advance();
      const filler = join(mount, 'filler');
      fill(filler);
      const full = await sync();
      expect(full.code).toBe(1);
      expect(errorDocument(full)).toEqual({
        code: 'disk_full',
        exitCode: 1,
        message: 'database or disk is full',
      });
      expect(full.stderr).toContain('error: database or disk is full\n');
      expect(await liveKeys(store)).toEqual(before);
      writeFileSync(filler, '');

      const next = await sync();
      expect(next.code, next.stderr).toBe(0);
      const staged = await store.read<{ n: number }>(
        'SELECT (SELECT COUNT(*) FROM staged_entities) + (SELECT COUNT(*) FROM staged_relationships) AS n',
        [],
      );
      expect(Number(staged[0]!.n)).toBe(0);
      expect(await storedFacts(store)).toEqual(expectedFromTruth(await emulator.truth()));
    } finally {
      await store.close();
    }
  }, 120_000);
});
