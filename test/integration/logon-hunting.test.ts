import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceConfig } from '../../src/config/instance-config.js';
import type { GraphRelationship } from '../../src/graph/types.js';
import { ENTITIES, RELATIONSHIPS, runIntegration } from '../../src/integration/index.js';
import { checkPermissions } from '../../src/integration/permissions.js';
import { MemoryGraphObjectStore } from '../../src/integration/stores/memory-store.js';
import { createMicrosoftClients } from '../../src/microsoft/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

const HUNTING = 'defender POST /api/advancedqueries/run';
const PER_MACHINE = 'defender GET /api/machines/{id}/logonusers';

async function collect(config: InstanceConfig) {
  const store = new MemoryGraphObjectStore();
  const clients = createMicrosoftClients(config);
  try {
    const result = await runIntegration({ instance: config, store, clients });
    return { store, result, throttled: { ...clients.counter.throttledByLabel } };
  } finally {
    await clients.close();
  }
}

/** Logon users and machine HAS logon user, every property but raw data, in key order. */
function logonGraph(store: MemoryGraphObjectStore) {
  const strip = (object: object) =>
    Object.fromEntries(Object.entries(object).filter(([k]) => k !== '_rawData'));
  const byKey = (a: { _key: string }, b: { _key: string }) => a._key.localeCompare(b._key);
  return {
    logonUsers: store.entities(ENTITIES.LOGON_USER._type).sort(byKey).map(strip),
    pairs: (store.relationships(RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type) as GraphRelationship[])
      .sort(byKey)
      .map(strip),
    isUser: (store.relationships(RELATIONSHIPS.LOGON_USER_IS_USER._type) as GraphRelationship[])
      .sort(byKey)
      .map(strip),
  };
}

const TENANT = { seed: 21, users: 80, machines: 50, logonUsersPerMachine: 4 };

describe('logon users through Advanced Hunting', () => {
  let perMachine: Awaited<ReturnType<typeof collect>>;
  let truthPairs: string[];
  let te: TestEmulator;

  beforeAll(async () => {
    const plain = await startTestEmulator(TENANT);
    try {
      perMachine = await collect(plain.config);
      truthPairs = (await plain.truth())
        .machineLogonUserPairs!.map((p) =>
          `${p.machineId}|${p.domain}\\${p.accountName}`.toLowerCase(),
        )
        .sort();
    } finally {
      await plain.close();
    }
    te = await startTestEmulator({ ...TENANT, advancedHunting: true });
  });
  afterAll(async () => te?.close());

  const pairsOf = (store: MemoryGraphObjectStore) =>
    (store.relationships(RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type) as GraphRelationship[])
      .map(
        (r) =>
          `${String(r._fromEntityKey).slice('microsoft_defender_machine:'.length)}|${String(r._toEntityKey).slice('microsoft_defender_logon_user:'.length)}`,
      )
      .sort();

  it('without AdvancedQuery.Read.All: one call per machine, no hunting query', () => {
    expect(perMachine.result.apiCalls[PER_MACHINE]).toBe(TENANT.machines);
    expect(perMachine.result.apiCalls[HUNTING]).toBeUndefined();
    expect(pairsOf(perMachine.store)).toEqual(truthPairs);
  });

  it('with it: one query for the whole tenant, no per-machine call, and the same graph', async () => {
    const hunting = await collect(te.config);
    expect(hunting.result.stepResults.every((r) => r.status === 'success')).toBe(true);
    expect(hunting.result.apiCalls[HUNTING]).toBe(1);
    expect(hunting.result.apiCalls[PER_MACHINE]).toBeUndefined();
    expect(pairsOf(hunting.store)).toEqual(truthPairs);
    expect(logonGraph(hunting.store)).toEqual(logonGraph(perMachine.store));
  });

  it('a small row cap splits the tenant into device ranges, each answer under the cap, with the same graph', async () => {
    const capped = await startTestEmulator({ ...TENANT, advancedHunting: true, huntingRowCap: 30 });
    try {
      expect(capped.config.advancedHuntingRowLimit).toBe(30);
      const run = await collect(capped.config);
      const rows = truthPairs.length;
      // Each cut answer keeps its whole devices (under 30 rows): at least ⌈rows / 30⌉ calls.
      expect(run.result.apiCalls[HUNTING]).toBeGreaterThanOrEqual(Math.ceil(rows / 30));
      expect(run.result.apiCalls[HUNTING]).toBeLessThanOrEqual(Math.ceil(rows / 20) + 1);
      expect(pairsOf(run.store)).toEqual(truthPairs);
      expect(logonGraph(run.store)).toEqual(logonGraph(perMachine.store));
    } finally {
      await capped.close();
    }
  });

  it('CPU-quota refusals are waited out and retried: nothing lost', async () => {
    await te.setFaults({ huntingCpuQuota: { requests: 2, retryAfterSeconds: 1 } });
    try {
      const run = await collect(te.config);
      expect(run.throttled[HUNTING]).toBe(2);
      expect(run.result.apiCalls[HUNTING]).toBe(3);
      expect(pairsOf(run.store)).toEqual(truthPairs);
      expect(logonGraph(run.store)).toEqual(logonGraph(perMachine.store));
    } finally {
      await te.clearFaults();
    }
  });

  it('consent withdrawn after the token was issued: the step falls back to per-machine calls', async () => {
    const config = { ...te.config };
    const clients = createMicrosoftClients(config);
    try {
      await clients.defenderTokens.getToken();
      await te.setFaults({ revokePermissions: ['defender:AdvancedQuery.Read.All'] });
      const store = new MemoryGraphObjectStore();
      const result = await runIntegration({ instance: config, store, clients });
      expect(result.apiCalls[HUNTING]).toBe(1);
      expect(result.apiCalls[PER_MACHINE]).toBe(TENANT.machines);
      expect(pairsOf(store)).toEqual(truthPairs);
    } finally {
      await te.clearFaults();
      await clients.close();
    }
  });

  it('validate says which path a sync takes and what each costs at the configured quotas', async () => {
    const truth = await te.truth();
    const first = [...truth.machines!].sort()[0]!;
    const sampled = truth.machineLogonUserPairs!.filter((p) => p.machineId === first).length;
    // 50 per-machine calls at 10/min and 20/h: the 41st waits two hours.
    const config = {
      ...te.config,
      quotaScale: 1,
      quotas: { 'defender:logonusers': { perMinute: 10, perHour: 20 } },
    };
    const costs = [
      { path: 'advanced-hunting', calls: 1, minutes: 0 },
      { path: 'per-machine', calls: TENANT.machines, minutes: 120 },
    ];
    expect((await checkPermissions(config)).logonUsers).toEqual({
      path: 'advanced-hunting',
      reason: "AdvancedQuery.Read.All is in the Defender token's roles",
      machines: TENANT.machines,
      sampledLogonUsers: sampled,
      costs,
    });
    await te.setFaults({ revokePermissions: ['defender:AdvancedQuery.Read.All'] });
    try {
      const report = await checkPermissions(config);
      expect(report.logonUsers).toEqual({
        path: 'per-machine',
        reason: "AdvancedQuery.Read.All is not in the Defender token's roles",
        machines: TENANT.machines,
        sampledLogonUsers: sampled,
        costs,
      });
    } finally {
      await te.clearFaults();
    }
  });

  it('validate under Advanced Hunting: Defender User.Read.All withheld loses nothing', async () => {
    await te.setFaults({ revokePermissions: ['defender:User.Read.All'] });
    try {
      const report = await checkPermissions(te.config);
      expect(report.logonUsers?.path).toBe('advanced-hunting');
      const perMachine = report.permissions.find(
        (p) => p.api === 'defender' && p.permission === 'User.Read.All',
      )!;
      expect(perMachine).toMatchObject({
        granted: false,
        typesLost: [],
        reason: 'not needed: logon users come through Advanced Hunting',
      });
    } finally {
      await te.clearFaults();
    }
  });
});
