import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { FaultSettings } from '../../src/emulator/faults.js';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import type { GroundTruth } from '../../src/emulator/tenant/types.js';
import { RELATIONSHIPS } from '../../src/integration/index.js';
import { createMicrosoftClients } from '../../src/microsoft/index.js';
import type { InstanceConfig } from '../../src/config/instance-config.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import type { SyncRecord } from '../../src/store/sync-record.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { syncExitCode } from '../../src/sync/summary.js';
import type { Logger } from '../../src/util/logger.js';
import type { Backend } from '../store/backends.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/**
 * One emulator and one real store (SQLite file or PostgreSQL database) for a fault suite: sync
 * in-process, snapshot the live graph, and compare it with `/admin/truth`.
 */
export interface FaultRig {
  te: TestEmulator;
  store: GraphStore;
  /** The store's URL, for the CLI (`--db`). */
  url: string;
  /** The instance the rig syncs (the emulator's, with short client timeouts and few retries). */
  instance: InstanceConfig;
  /** Set once a sync left the store equal to the truth with nothing changed since. */
  clean: boolean;
  close(): Promise<void>;
}

export async function startRig(
  backend: Backend,
  label: string,
  overrides: Partial<EmulatorOptions> = {},
  instance: Partial<InstanceConfig> = {},
): Promise<FaultRig> {
  const te = await startTestEmulator(overrides);
  const db = await backend.create(label);
  const store = await openGraphStore(db.url);
  return {
    te,
    store,
    url: db.url,
    // Every sync a full one: the faults are injected into the full listings.
    instance: {
      ...te.config,
      http: { maxRetries: 2, timeoutSeconds: 10 },
      fullSyncInterval: 1,
      ...instance,
    },
    clean: false,
    close: async () => {
      await store.close();
      await te.close();
      await db.drop();
    },
  };
}

export interface SyncOutcome {
  record: SyncRecord;
  exitCode: number;
  /** Per step id: status and error message. */
  steps: Record<string, { status: string; message?: string; code?: string }>;
  /** What the collector logged at warn level and above. */
  warnings: string[];
  /** Every wait the HTTP policy asked for (ms): retries sleep on a fake clock. */
  waits: number[];
}

/** A logger that keeps warn and error lines (a pino-shaped subset is all the collector uses). */
function recordingLogger(lines: string[]): Logger {
  const keep = (obj: unknown, msg?: string) =>
    lines.push(typeof obj === 'string' ? obj : `${msg ?? ''} ${JSON.stringify(obj)}`);
  const logger = {
    warn: keep,
    error: keep,
    info: () => undefined,
    debug: () => undefined,
    child: () => logger,
  };
  return logger as unknown as Logger;
}

/** One sync of the rig's instance into its store, retries on a fake clock. */
export async function sync(
  rig: FaultRig,
  options: {
    instance?: Partial<InstanceConfig>;
    maxDeleteShare?: number;
    onStepStart?: (stepId: string) => void;
  } = {},
): Promise<SyncOutcome> {
  const instance = { ...rig.instance, ...options.instance };
  const warnings: string[] = [];
  const waits: number[] = [];
  const logger = recordingLogger(warnings);
  const clients = createMicrosoftClients(instance, {
    logger,
    sleep: async (ms) => void waits.push(ms),
  });
  try {
    const record = await syncInstance({
      instance,
      store: rig.store,
      maxDeleteShare: options.maxDeleteShare,
      logger,
      clients,
      onProgress: (event) => {
        if (event.type === 'step_start') options.onStepStart?.(event.stepId);
      },
    });
    const steps = Object.fromEntries(
      record.stepResults.map((s) => [
        s.id,
        { status: s.status, message: s.error?.message, code: s.error?.code },
      ]),
    );
    return { record, exitCode: syncExitCode(record), steps, warnings, waits };
  } finally {
    await clients.close();
  }
}

/** The sync committed partial data (exit 3) and this one step failed with this code and message. */
export function expectStepFailed(
  outcome: SyncOutcome,
  stepId: string,
  code: string,
  message: string,
): void {
  expect(outcome.exitCode).toBe(3);
  expect(outcome.steps[stepId]).toEqual({ status: 'failure', code, message });
}

/** Every live entity and relationship key, by type: equal snapshots mean nothing was lost. */
export async function liveGraph(store: GraphStore): Promise<Record<string, string[]>> {
  const rows = await store.read<{ type: string; key: string }>(
    'SELECT type, key FROM entities WHERE deleted = FALSE UNION ALL SELECT type, key FROM relationships WHERE deleted = FALSE',
    [],
  );
  const byType: Record<string, string[]> = {};
  for (const { type, key } of rows) (byType[type] ??= []).push(key);
  for (const keys of Object.values(byType)) keys.sort();
  return byType;
}

/** Memberships the store keeps as direct relationships (members of other kinds are mapped). */
const MEMBERSHIP_TYPES = [RELATIONSHIPS.GROUP_HAS_USER._type, RELATIONSHIPS.GROUP_HAS_GROUP._type];

const idsOf = (keys: string[] | undefined, prefix: string) =>
  (keys ?? []).map((k) => k.slice(prefix.length)).sort();

/** The live graph against the emulator's ground truth: ids where truth lists them, else counts. */
export async function expectGraphEqualsTruth(store: GraphStore, truth: GroundTruth): Promise<void> {
  const graph = await liveGraph(store);
  const count = (type: string) => graph[type]?.length ?? 0;
  expect({
    users: idsOf(graph.microsoft_defender_user, 'microsoft_defender_user:'),
    groups: idsOf(graph.microsoft_defender_user_group, 'microsoft_defender_user_group:'),
    machines: idsOf(graph.microsoft_defender_machine, 'microsoft_defender_machine:'),
    devices: count('user_endpoint'),
    memberships: MEMBERSHIP_TYPES.reduce((n, t) => n + count(t), 0),
    logonUsers: count('microsoft_defender_logon_user'),
    machineLogonUserPairs: count(RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type),
    cves: count('microsoft_defender_vulnerability'),
    machineCvePairs: count(RELATIONSHIPS.MACHINE_IDENTIFIED_VULNERABILITY._type),
  }).toEqual({
    users: [...truth.users!].sort(),
    groups: [...truth.groups!].sort(),
    machines: [...truth.machines!].sort(),
    devices: truth.counts.machines,
    memberships: truth.memberships!.filter(
      (m) => m.memberType === 'user' || m.memberType === 'group',
    ).length,
    logonUsers: truth.counts.logonUsers,
    machineLogonUserPairs: truth.counts.machineLogonUserPairs,
    cves: truth.counts.cves,
    machineCvePairs: truth.counts.machineCvePairs,
  });
}

/**
 * The common proof of a fault: a clean sync equals the truth (skipped when the last proof left
 * the store so); the faulted sync ends as `check` says and deletes nothing (no churn happened in
 * between); with the fault cleared the next sync equals the truth again. A test that changes the
 * tenant outside a proof sets `rig.clean = false`.
 */
export async function proveFault(
  rig: FaultRig,
  inject: () => Promise<void>,
  check: (outcome: SyncOutcome) => void | Promise<void>,
  options: { instance?: Partial<InstanceConfig>; onStepStart?: (stepId: string) => void } = {},
): Promise<SyncOutcome> {
  if (!rig.clean) {
    const baseline = await sync(rig);
    expect(baseline.exitCode, JSON.stringify(baseline.steps)).toBe(0);
    await expectGraphEqualsTruth(rig.store, await rig.te.truth());
  }
  rig.clean = false;
  const before = await liveGraph(rig.store);
  await inject();
  let outcome: SyncOutcome;
  try {
    outcome = await sync(rig, options);
    await check(outcome);
  } finally {
    await rig.te.clearFaults();
  }
  expect(await liveGraph(rig.store)).toEqual(before);
  const healed = await sync(rig);
  expect(healed.exitCode, JSON.stringify(healed.steps)).toBe(0);
  await expectGraphEqualsTruth(rig.store, await rig.te.truth());
  rig.clean = true;
  return outcome;
}

export interface ForeignServer {
  url: string;
  /** Authorization headers received (undefined when a request came without one). */
  received: { url: string; authorization?: string }[];
  close(): Promise<void>;
}

/**
 * A second HTTPS server on another port, with a certificate the collector trusts (the emulator's
 * own), recording every request: what a token sent off the API's origin would reach.
 */
export async function startForeignServer(te: TestEmulator): Promise<ForeignServer> {
  const dir = dirname(te.emulator.caFile);
  const server = createServer(
    { key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server.pem')) },
    (req, res) => {
      received.push({ url: req.url ?? '', authorization: req.headers.authorization });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"value":[]}');
    },
  );
  const received: ForeignServer['received'] = [];
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fault that must fail exactly one step, with this code and message, and lose nothing. */
export function proveStepFails(
  rig: FaultRig,
  faults: FaultSettings,
  step: { id: string; code: string; message: string },
): Promise<SyncOutcome> {
  return proveFault(
    rig,
    () => rig.te.setFaults(faults),
    (outcome) => expectStepFailed(outcome, step.id, step.code, step.message),
  );
}
