import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import type { Backend } from '../store/backends.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { writeConfig } from './cli.js';

/** What a fault test of the sync works with: a tenant, a fresh store, the instance's config file. */
export interface EmulatorAndStore {
  emulator: TestEmulator;
  store: GraphStore;
  db: { url: string; drop: () => Promise<void> };
  dir: string;
  config: string;
}

/** Starts them before the suite's tests and removes them after; read the fields inside tests. */
export function emulatorAndStore(
  backend: Backend,
  label: string,
  options: Partial<EmulatorOptions> = {},
): EmulatorAndStore {
  const context = {} as EmulatorAndStore;
  beforeAll(async () => {
    context.emulator = await startTestEmulator(options);
    context.db = await backend.create(label);
    context.store = await openGraphStore(context.db.url);
    context.dir = mkdtempSync(join(tmpdir(), `dg-${label}-`));
    context.config = writeConfig(context.dir, context.emulator.config);
  });
  afterAll(async () => {
    await context.store?.close();
    await context.emulator?.close();
    await context.db?.drop();
    if (context.dir) rmSync(context.dir, { recursive: true, force: true });
  });
  return context;
}
