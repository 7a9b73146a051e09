import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore } from '../../src/store/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { runCli, writeConfig } from './cli.js';
import { expectedFromTruth, storedFacts } from './graph-truth.js';

/** Defect 9: the database, its folder and exports are created readable by their owner alone. */

const mode = (path: string) => statSync(path).mode & 0o777;

/** Every folder and file under `root` with its mode, folders first. */
function modes(root: string): Map<string, number> {
  const found = new Map<string, number>([[root, mode(root)]]);
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isSymbolicLink()) found.set(path, mode(path));
  }
  return found;
}

describe('file modes of the store and exports', () => {
  let emulator: TestEmulator;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    dir = mkdtempSync(join(tmpdir(), 'dg-modes-'));
    config = writeConfig(dir, emulator.config);
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sync creates data/ 0700 and the database and its WAL 0600; exports are 0600 in 0700 folders', async () => {
    const data = join(dir, 'data');
    const url = `sqlite:${join(data, 'graph.db')}`;
    const result = await runCli(['sync', '--config', config, '--db', url, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const store = await openGraphStore(url);
    expect(await storedFacts(store)).toEqual(expectedFromTruth(await emulator.truth()));
    await store.close();
    const stored = modes(data);
    expect(stored.get(data)).toBe(0o700);
    expect(stored.get(join(data, 'graph.db'))).toBe(0o600);
    for (const [path, found] of stored)
      expect([path, found]).toEqual([path, path === data ? 0o700 : 0o600]);

    const exports = join(dir, 'exports');
    const existing = join(exports, 'graph.csv');
    await runCli([
      'export',
      '--format',
      'jsonl',
      '--output',
      join(exports, 'graph.jsonl'),
      '--db',
      url,
    ]);
    writeFileSync(existing, 'old', { mode: 0o644 });
    const csv = await runCli(['export', '--format', 'csv', '--output', existing, '--db', url]);
    expect(csv.code, csv.stderr).toBe(0);
    const j1 = await runCli([
      'export',
      '--format',
      'j1',
      '--output',
      join(exports, 'j1'),
      '--db',
      url,
    ]);
    expect(j1.code, j1.stderr).toBe(0);
    const written = modes(exports);
    expect(written.size).toBeGreaterThan(6);
    for (const [path, found] of written) {
      const folder = statSync(path).isDirectory();
      expect([path, found]).toEqual([path, folder ? 0o700 : 0o600]);
    }
  }, 120_000);
});
