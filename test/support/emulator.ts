import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { InstanceConfig } from '../../src/config/instance-config.js';
import type { FaultSettings } from '../../src/emulator/faults.js';
import {
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/server.js';
import type { StatsSnapshot } from '../../src/emulator/stats.js';
import type { ChurnSizes } from '../../src/emulator/tenant/churn.js';
import type { ChangeReport, GroundTruth } from '../../src/emulator/tenant/types.js';

/** A small tenant, so tests run fast. */
export const TEST_TENANT_SIZES = {
  seed: 7,
  users: 60,
  groups: 12,
  machines: 40,
  cves: 30,
  logonUsersPerMachine: 3,
  vulnerabilitiesPerMachine: 5,
} satisfies Partial<EmulatorOptions>;

/** The small tenant with generous quotas; override anything per test. */
export const TEST_EMULATOR_DEFAULTS = {
  ...TEST_TENANT_SIZES,
  quotaScale: 1000,
} satisfies Partial<EmulatorOptions>;

export interface TestEmulator {
  emulator: RunningEmulator;
  config: InstanceConfig;
  /** Trusts the emulator's CA only; pass as `dispatcher` to undici `request`/`fetch`. */
  dispatcher: Agent;
  ca: string;
  truth(options?: { lists?: boolean }): Promise<GroundTruth>;
  /** One round of churn; `sizes` per kind: below 1 a share, 1 or more a count. */
  advance(sizes?: ChurnSizes): Promise<ChangeReport>;
  /** Every Graph delta token issued so far expires, answered as `response` (graph-api.md §5.6). */
  expireDeltaTokens(response: '410' | 'syncStateNotFound'): Promise<void>;
  setFaults(faults: FaultSettings): Promise<void>;
  clearFaults(): Promise<void>;
  stats(): Promise<StatsSnapshot>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

let sharedDataDir: string | undefined;

/**
 * One data directory per test process: the CA and certificates are generated once (certificate
 * generation is synchronous, so emulators of one process never race on it).
 */
function processDataDir(): string {
  if (sharedDataDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'dg-emulator-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    sharedDataDir = dir;
  }
  return sharedDataDir;
}

export async function startTestEmulator(
  overrides: Partial<EmulatorOptions> = {},
): Promise<TestEmulator> {
  const dataDir = overrides.dataDir ?? processDataDir();
  const emulator = await startEmulator({ ...TEST_EMULATOR_DEFAULTS, ...overrides, dataDir });
  const ca = readFileSync(emulator.caFile, 'utf8');
  const dispatcher = new Agent({ connect: { ca } });

  const admin = async <T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> => {
    const res = await request(`${emulator.url}/admin${path}`, {
      method,
      dispatcher,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200)
      throw new Error(`admin ${method} ${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text) as T;
  };

  return {
    emulator,
    config: emulator.instanceConfig(),
    dispatcher,
    ca,
    truth: (options = {}) => admin('GET', `/truth${options.lists === false ? '?lists=false' : ''}`),
    advance: (sizes) => admin('POST', '/advance', sizes),
    expireDeltaTokens: async (response) =>
      void (await admin('POST', '/delta/expire', { response })),
    setFaults: async (faults) => void (await admin('POST', '/faults', faults)),
    clearFaults: async () => void (await admin('DELETE', '/faults')),
    stats: () => admin('GET', '/stats'),
    resetStats: async () => void (await admin('DELETE', '/stats')),
    close: async () => {
      await emulator.close();
      await dispatcher.close();
    },
  };
}
