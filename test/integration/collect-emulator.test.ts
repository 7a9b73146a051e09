import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entity, MappedRelationship, Relationship } from '../../src/graph/types.js';
import { isMappedRelationship } from '../../src/graph/types.js';
import type { InstanceConfig } from '../../src/config/instance-config.js';
import {
  ENTITIES,
  MAPPED_RELATIONSHIPS,
  RELATIONSHIPS,
  runIntegration,
} from '../../src/integration/index.js';
import { MemoryGraphObjectStore } from '../../src/integration/stores/memory-store.js';
import { checkPermissions } from '../../src/integration/permissions.js';
import type { GroundTruth } from '../../src/emulator/tenant/types.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { dataModelErrors } from './data-model.js';

const QUOTA_SCALE = 1000;

async function collect(config: InstanceConfig) {
  const store = new MemoryGraphObjectStore();
  const result = await runIntegration({ instance: { ...config, quotaScale: QUOTA_SCALE }, store });
  return { store, result };
}

const stripPrefix = (key: string, prefix: string) => {
  expect(key.startsWith(prefix)).toBe(true);
  return key.slice(prefix.length);
};

function direct(store: MemoryGraphObjectStore, type: string): Relationship[] {
  return store.relationships(type).filter((r): r is Relationship => !isMappedRelationship(r));
}

/** `from|to` of every relationship of one type, sorted. */
function pairsOf(store: MemoryGraphObjectStore, type: string): string[] {
  return direct(store, type)
    .map((r) => `${r._fromEntityKey}|${r._toEntityKey}`)
    .sort();
}

/** The collected graph, reduced to the same shapes as `/admin/truth`. */
function collectedFacts(store: MemoryGraphObjectStore) {
  const ids = (type: string) =>
    store
      .entities(type)
      .map((e) => String(e.id))
      .sort();
  const memberships = [
    ...direct(store, RELATIONSHIPS.GROUP_HAS_USER._type).map((r) => ({
      r,
      type: 'user',
      prefix: 'microsoft_defender_user:',
    })),
    ...direct(store, RELATIONSHIPS.GROUP_HAS_GROUP._type).map((r) => ({
      r,
      type: 'group',
      prefix: 'microsoft_defender_user_group:',
    })),
  ].map(
    ({ r, type, prefix }) =>
      `${stripPrefix(r._fromEntityKey, 'microsoft_defender_user_group:')}|${stripPrefix(r._toEntityKey, prefix)}|${type}`,
  );
  for (const mapped of [
    MAPPED_RELATIONSHIPS.GROUP_HAS_DEVICE,
    MAPPED_RELATIONSHIPS.GROUP_HAS_SERVICE_PRINCIPAL,
    MAPPED_RELATIONSHIPS.GROUP_HAS_ORG_CONTACT,
    MAPPED_RELATIONSHIPS.GROUP_HAS_DIRECTORY_OBJECT,
  ]) {
    for (const r of store.relationships(mapped._type) as MappedRelationship[]) {
      memberships.push(
        `${stripPrefix(r._mapping.sourceEntityKey, 'microsoft_defender_user_group:')}|${String(r._mapping.targetEntity._key)}|${String(r.memberType)}`,
      );
    }
  }
  const logonPairs = direct(store, RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type).map(
    (r) =>
      `${stripPrefix(r._fromEntityKey, 'microsoft_defender_machine:')}|${stripPrefix(r._toEntityKey, 'microsoft_defender_logon_user:')}`,
  );
  const cvePairs = direct(store, RELATIONSHIPS.MACHINE_IDENTIFIED_VULNERABILITY._type).map(
    (r) =>
      `${stripPrefix(r._fromEntityKey, 'microsoft_defender_machine:')}|${stripPrefix(r._toEntityKey, 'microsoft_defender_vulnerability:')}`,
  );
  const cveLinks = (
    store.relationships(MAPPED_RELATIONSHIPS.VULNERABILITY_IS_CVE._type) as MappedRelationship[]
  ).map((r) => `${r._mapping.sourceEntityKey}|${String(r._mapping.targetEntity._key)}`);
  return {
    accountHasUser: pairsOf(store, RELATIONSHIPS.ACCOUNT_HAS_USER._type),
    accountHasGroup: pairsOf(store, RELATIONSHIPS.ACCOUNT_HAS_GROUP._type),
    accountHasMachine: pairsOf(store, RELATIONSHIPS.ACCOUNT_HAS_MACHINE._type),
    machineManagesDevice: pairsOf(store, RELATIONSHIPS.MACHINE_MANAGES_DEVICE._type),
    logonUserIsUser: pairsOf(store, RELATIONSHIPS.LOGON_USER_IS_USER._type),
    vulnerabilityIsCve: cveLinks.sort(),
    users: ids(ENTITIES.USER._type),
    groups: ids(ENTITIES.GROUP._type),
    machines: ids(ENTITIES.MACHINE._type),
    devices: store.entities(ENTITIES.DEVICE._type).length,
    memberships: memberships.sort(),
    logonPairs: logonPairs.sort(),
    logonUsers: store.entities(ENTITIES.LOGON_USER._type).length,
    cvePairs: cvePairs.sort(),
    cves: store.entities(ENTITIES.VULNERABILITY._type).length,
  };
}

const key = {
  account: (tenantId: string) => `${ENTITIES.ACCOUNT._type}:${tenantId}`,
  user: (id: string) => `${ENTITIES.USER._type}:${id}`,
  group: (id: string) => `${ENTITIES.GROUP._type}:${id}`,
  machine: (id: string) => `${ENTITIES.MACHINE._type}:${id}`,
  device: (id: string) => `${ENTITIES.DEVICE._type}.${id}`,
  logonUser: (domain: string, accountName: string) =>
    `${ENTITIES.LOGON_USER._type}:${domain}\\${accountName}`.toLowerCase(),
  vulnerability: (cve: string) => `${ENTITIES.VULNERABILITY._type}:${cve.toUpperCase()}`,
};

/** Every relationship type the collector writes, as `/admin/truth` implies it (graph-model keys). */
function expectedRelationships(truth: GroundTruth, tenantId: string) {
  const account = key.account(tenantId);
  const cves = [...new Set(truth.machineCvePairs!.map((p) => p.cveId))];
  return {
    accountHasUser: truth.users!.map((id) => `${account}|${key.user(id)}`).sort(),
    accountHasGroup: truth.groups!.map((id) => `${account}|${key.group(id)}`).sort(),
    accountHasMachine: truth.machines!.map((id) => `${account}|${key.machine(id)}`).sort(),
    machineManagesDevice: truth
      .machines!.map((id) => `${key.machine(id)}|${key.device(id)}`)
      .sort(),
    logonUserIsUser: truth
      .logonUserLinks!.map((l) => `${key.logonUser(l.domain, l.accountName)}|${key.user(l.userId)}`)
      .sort(),
    vulnerabilityIsCve: cves.map((c) => `${key.vulnerability(c)}|${c.toLowerCase()}`).sort(),
  };
}

const TENANTS = [
  { seed: 7 },
  {
    seed: 42,
    users: 1_100,
    groups: 25,
    machines: 120,
    cves: 80,
    logonUsersPerMachine: 4,
    vulnerabilitiesPerMachine: 9,
  },
  {
    seed: 3,
    users: 15,
    groups: 3,
    machines: 6,
    cves: 10,
    logonUsersPerMachine: 1,
    vulnerabilitiesPerMachine: 2,
  },
];

describe.each(TENANTS)('collect against the emulator, tenant %o', (sizes) => {
  let te: TestEmulator;
  let run: Awaited<ReturnType<typeof collect>>;
  beforeAll(async () => {
    te = await startTestEmulator(sizes);
    run = await collect(te.config);
  });
  afterAll(async () => te?.close());

  it('every step succeeds', () => {
    expect(run.result.stepResults.map((r) => [r.id, r.status, r.error?.message])).toEqual(
      run.result.stepResults.map((r) => [r.id, 'success', undefined]),
    );
    expect(run.result.partialDatasets.types).toEqual([]);
  });

  it('collected counts and identities equal /admin/truth exactly', async () => {
    const truth = await te.truth();
    const facts = collectedFacts(run.store);
    expect(facts.users).toEqual([...truth.users!].sort());
    expect(facts.groups).toEqual([...truth.groups!].sort());
    expect(facts.machines).toEqual([...truth.machines!].sort());
    expect(facts.devices).toBe(truth.counts.machines);
    expect(facts.memberships).toEqual(
      truth.memberships!.map((m) => `${m.groupId}|${m.memberId}|${m.memberType}`).sort(),
    );
    expect(facts.memberships).toHaveLength(truth.counts.memberships);
    expect(facts.logonPairs).toEqual(
      truth
        .machineLogonUserPairs!.map((p) =>
          `${p.machineId}|${p.domain}\\${p.accountName}`.toLowerCase(),
        )
        .sort(),
    );
    expect(facts.logonPairs).toHaveLength(truth.counts.machineLogonUserPairs);
    expect(facts.logonUsers).toBe(truth.counts.logonUsers);
    expect(facts.cvePairs).toEqual(
      truth.machineCvePairs!.map((p) => `${p.machineId}|${p.cveId.toUpperCase()}`).sort(),
    );
    expect(facts.cvePairs).toHaveLength(truth.counts.machineCvePairs);
    expect(facts.cves).toBe(truth.counts.cves);
  });

  it('collects every relationship type exactly as /admin/truth implies', async () => {
    const truth = await te.truth();
    const facts = collectedFacts(run.store);
    const expected = expectedRelationships(truth, te.emulator.tenantId);
    expect(expected.logonUserIsUser.length).toBeGreaterThan(0);
    expect({
      accountHasUser: facts.accountHasUser,
      accountHasGroup: facts.accountHasGroup,
      accountHasMachine: facts.accountHasMachine,
      machineManagesDevice: facts.machineManagesDevice,
      logonUserIsUser: facts.logonUserIsUser,
      vulnerabilityIsCve: facts.vulnerabilityIsCve,
    }).toEqual(expected);
    // Each relationship type the integration declares is one of those compared above or in the
    // test before (memberships, logon pairs, CVE pairs).
    const compared = new Set([
      ...[
        'ACCOUNT_HAS_USER',
        'ACCOUNT_HAS_GROUP',
        'ACCOUNT_HAS_MACHINE',
        'MACHINE_MANAGES_DEVICE',
        'LOGON_USER_IS_USER',
        'GROUP_HAS_USER',
        'GROUP_HAS_GROUP',
        'MACHINE_HAS_LOGON_USER',
        'MACHINE_IDENTIFIED_VULNERABILITY',
      ].map((name) => RELATIONSHIPS[name as keyof typeof RELATIONSHIPS]._type),
      ...Object.values(MAPPED_RELATIONSHIPS).map((r) => r._type),
    ]);
    expect(
      [...Object.values(RELATIONSHIPS), ...Object.values(MAPPED_RELATIONSHIPS)]
        .map((r) => r._type)
        .filter((t) => !compared.has(t)),
    ).toEqual([]);
  });

  it('every entity validates against the J1 data model', () => {
    const invalid: string[] = [];
    for (const type of Object.values(ENTITIES)) {
      for (const entity of run.store.entities(type._type) as Entity[]) {
        const errors = dataModelErrors(entity);
        if (errors.length > 0) invalid.push(`${entity._key}: ${errors.join('; ')}`);
      }
    }
    expect(invalid.slice(0, 5)).toEqual([]);
  });

  it('users carry the real active flag and lower-cased email arrays', async () => {
    const users = run.store.entities(ENTITIES.USER._type);
    const truth = await te.truth();
    const disabled = new Set(truth.disabledUsers);
    expect(disabled.size).toBeGreaterThan(0);
    expect(users.map((u) => [String(u.id), u.active]).sort()).toEqual(
      truth.users!.map((id) => [id, !disabled.has(id)]).sort(),
    );
    const emails = users.flatMap((u) => (u.email as string[] | null) ?? []);
    expect(emails.length).toBeGreaterThan(0);
    expect(emails.filter((e) => e !== e.toLowerCase())).toEqual([]);
  });

  it('API calls stay at the minimum: calls grow with pages, logon users once per machine', async () => {
    const truth = await te.truth({ lists: false });
    const calls = run.result.apiCalls;
    expect(calls['graph GET /organization']).toBe(1);
    expect(calls['graph GET /users']).toBe(Math.max(1, Math.ceil(truth.counts.users / 999)));
    expect(calls['graph GET /groups']).toBe(Math.max(1, Math.ceil(truth.counts.groups / 999)));
    expect(calls['graph GET /groups/{id}/members']).toBe(truth.counts.groups);
    expect(calls['defender GET /api/machines']).toBe(1);
    expect(calls['defender GET /api/machines/{id}/logonusers']).toBe(truth.counts.machines);
    expect(calls['defender GET /api/vulnerabilities']).toBe(1);
    expect(calls['defender GET /api/vulnerabilities/machinesVulnerabilities']).toBe(1);
    const perStep = Object.fromEntries(run.result.stepResults.map((r) => [r.id, r.apiCalls]));
    expect(perStep['fetch-logon-users']).toBe(truth.counts.machines);
    expect(perStep['build-logon-user-is-user']).toBe(0);
  });
});

describe('collect against the emulator: logon user IS user', () => {
  it('links exactly the logon users the tenant generated from directory users, and records what matched', async () => {
    const te = await startTestEmulator({ seed: 11, users: 120, machines: 60 });
    try {
      const { store } = await collect(te.config);
      const links = direct(store, RELATIONSHIPS.LOGON_USER_IS_USER._type);
      const truth = await te.truth();
      // Sound and complete: every link the tenant implies, and no other.
      expect(pairsOf(store, RELATIONSHIPS.LOGON_USER_IS_USER._type)).toEqual(
        expectedRelationships(truth, te.emulator.tenantId).logonUserIsUser,
      );
      // Each rule is exercised.
      expect([...new Set(links.map((l) => String(l.matchedOn)))].sort()).toEqual([
        'samAccountName+domain',
        'sid',
        'userPrincipalName',
      ]);
      const users = new Map(store.entities(ENTITIES.USER._type).map((u) => [u._key, u]));
      const logonUsers = new Map(store.entities(ENTITIES.LOGON_USER._type).map((u) => [u._key, u]));
      for (const link of links) {
        const user = users.get(link._toEntityKey)!;
        const logonUser = logonUsers.get(link._fromEntityKey)!;
        if (link.matchedOn === 'sid')
          expect(String(logonUser.accountSid).toUpperCase()).toBe(
            String(user.onPremisesSecurityIdentifier).toUpperCase(),
          );
        else if (link.matchedOn === 'samAccountName+domain')
          expect(String(logonUser.accountName).toLowerCase()).toBe(
            String(user.onPremisesSamAccountName).toLowerCase(),
          );
        else {
          expect(link.matchedOn).toBe('userPrincipalName');
          expect(String(user.userPrincipalName).toLowerCase().split('@')[0]).toBe(
            String(logonUser.accountName).toLowerCase(),
          );
        }
      }
    } finally {
      await te.close();
    }
  });
});

describe('collect against the emulator with a certificate credential', () => {
  it('signs client assertions with the registered certificate and collects what /admin/truth holds', async () => {
    const te = await startTestEmulator({ seed: 13 });
    try {
      const { clientSecret, ...withoutSecret } = te.config;
      expect(typeof clientSecret).toBe('string');
      const { store, result } = await collect({
        ...withoutSecret,
        certificatePath: te.emulator.clientCertificateFile,
      });
      expect(result.stepResults.map((r) => [r.id, r.status, r.error?.message])).toEqual(
        result.stepResults.map((r) => [r.id, 'success', undefined]),
      );
      const truth = await te.truth();
      const facts = collectedFacts(store);
      expect(facts.users).toEqual([...truth.users!].sort());
      expect(facts.machines).toEqual([...truth.machines!].sort());
      expect(facts.cvePairs.length).toBe(truth.counts.machineCvePairs);
    } finally {
      await te.close();
    }
  });
});

describe('collect against the emulator: faults', () => {
  let te: TestEmulator;
  beforeAll(async () => {
    te = await startTestEmulator({ seed: 5 });
  });
  afterAll(async () => te?.close());

  it('revoked Vulnerability.Read.All: validate names it, collect fails only that step and marks its types partial', async () => {
    await te.setFaults({ revokePermissions: ['Vulnerability.Read.All'] });
    try {
      const report = await checkPermissions({ ...te.config, quotaScale: QUOTA_SCALE });
      expect(report.tokens.every((t) => t.ok)).toBe(true);
      const missing = report.permissions.filter((p) => p.granted === false);
      expect(missing.map((p) => `${p.api}:${p.permission}`)).toEqual([
        'defender:Vulnerability.Read.All',
      ]);
      expect(missing[0]!.typesLost).toContain('microsoft_defender_vulnerability');
      expect(report.permissions.filter((p) => p.granted === true)).toHaveLength(6);

      const { result, store } = await collect(te.config);
      const byId = Object.fromEntries(result.stepResults.map((r) => [r.id, r]));
      expect(byId['fetch-vulnerabilities']!.status).toBe('failure');
      expect(byId['fetch-vulnerabilities']!.error).toMatchObject({
        code: 'FORBIDDEN',
        permission: 'Vulnerability.Read.All',
        status: 403,
        api: 'defender',
      });
      for (const id of [
        'fetch-account',
        'fetch-users',
        'fetch-groups',
        'fetch-machines',
        'fetch-logon-users',
        'build-logon-user-is-user',
      ]) {
        expect(byId[id]!.status).toBe('success');
      }
      expect(result.partialDatasets.types).toEqual([
        'microsoft_defender_machine_identified_vulnerability',
        'microsoft_defender_vulnerability',
        'microsoft_defender_vulnerability_is_cve',
      ]);
      const truth = await te.truth({ lists: false });
      expect(store.entities(ENTITIES.MACHINE._type)).toHaveLength(truth.counts.machines);
      expect(store.entities(ENTITIES.VULNERABILITY._type)).toHaveLength(0);
    } finally {
      await te.clearFaults();
    }
  });

  it('revoked Machine.Read.All: validate counts what the steps depending on machines lose too', async () => {
    await te.setFaults({ revokePermissions: ['Machine.Read.All'] });
    try {
      const report = await checkPermissions({ ...te.config, quotaScale: QUOTA_SCALE });
      const machines = report.permissions.find((p) => p.permission === 'Machine.Read.All')!;
      expect(machines.granted).toBe(false);
      expect(machines.dependentSteps).toEqual([
        'fetch-logon-users',
        'fetch-vulnerabilities',
        'build-logon-user-is-user',
      ]);
      for (const type of [
        ENTITIES.MACHINE._type,
        ENTITIES.DEVICE._type,
        ENTITIES.LOGON_USER._type,
        ENTITIES.VULNERABILITY._type,
        RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type,
        RELATIONSHIPS.LOGON_USER_IS_USER._type,
      ])
        expect(machines.typesLost).toContain(type);
      expect(machines.typesLost).not.toContain(ENTITIES.USER._type);
    } finally {
      await te.clearFaults();
    }
  });

  it('survives injected 429s, 5xx and connection resets with complete data', async () => {
    await te.setFaults({
      rate429: 0.1,
      rate5xx: 0.05,
      resetRate: 0.03,
      retryAfterSeconds: 0,
      paths: ['/defender/api/machines'],
    });
    try {
      const { result, store } = await collect(te.config);
      expect(result.stepResults.every((r) => r.status === 'success')).toBe(true);
      const truth = await te.truth();
      const facts = collectedFacts(store);
      expect(facts.logonPairs).toHaveLength(truth.counts.machineLogonUserPairs);
      expect(facts.machines).toEqual([...truth.machines!].sort());
      // Retries are counted: more requests than machines + 1 listing.
      expect(result.apiCalls['defender GET /api/machines/{id}/logonusers']).toBeGreaterThan(
        truth.counts.machines,
      );
    } finally {
      await te.clearFaults();
    }
  });

  it('a disabled source disables its steps and protects their types', async () => {
    const { result } = await collect({ ...te.config, disabledSources: ['logon_users'] });
    const byId = Object.fromEntries(result.stepResults.map((r) => [r.id, r.status]));
    expect(byId['fetch-logon-users']).toBe('disabled');
    expect(byId['build-logon-user-is-user']).toBe('disabled');
    expect(result.disabledTypes).toEqual([
      'microsoft_defender_logon_user',
      'microsoft_defender_logon_user_is_user',
      'microsoft_defender_machine_has_logon_user',
    ]);
    expect(result.apiCalls['defender GET /api/machines/{id}/logonusers']).toBeUndefined();
  });

  it('a wrong client secret: the token error names AADSTS7000215, every step fails', async () => {
    const { result } = await collect({ ...te.config, clientSecret: 'wrong' });
    expect(result.stepResults.find((r) => r.id === 'fetch-account')!.error?.message).toMatch(
      /AADSTS7000215: the client secret is wrong/,
    );
    expect(JSON.stringify(result)).not.toContain(te.config.clientSecret!);
  });
});

describe('collect against the emulator at a binding quota', () => {
  it(
    'paces per-machine calls under the emulator quota: no 429, complete pairs',
    { timeout: 240_000 },
    async () => {
      // quotaScale 0.1: 10 logon-user calls per minute for 12 machines, so the second minute is needed.
      const te = await startTestEmulator({
        seed: 13,
        machines: 12,
        users: 20,
        groups: 3,
        quotaScale: 0.1,
      });
      try {
        const store = new MemoryGraphObjectStore();
        const result = await runIntegration({ instance: { ...te.config, quotaScale: 0.1 }, store });
        expect(result.stepResults.every((r) => r.status === 'success')).toBe(true);
        const { requests } = await te.stats();
        const throttled = Object.entries(requests).filter(
          ([, statuses]) => (statuses['429'] ?? 0) > 0,
        );
        expect(throttled).toEqual([]);
        expect(result.apiCalls['defender GET /api/machines/{id}/logonusers']).toBe(12);
        const truth = await te.truth({ lists: false });
        expect(store.relationships(RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type)).toHaveLength(
          truth.counts.machineLogonUserPairs,
        );
      } finally {
        await te.close();
      }
    },
  );
});

describe('collect against the emulator after churn', () => {
  it('still equals /admin/truth after two rounds of changes', async () => {
    const te = await startTestEmulator({ seed: 21, users: 80, machines: 50 });
    try {
      const first = await te.advance();
      const second = await te.advance();
      // The rounds really changed something the collector must follow.
      expect(
        first.machines.offboarded.length +
          second.machines.offboarded.length +
          first.users.deleted.length,
      ).toBeGreaterThan(0);
      const { store, result } = await collect(te.config);
      expect(result.stepResults.every((r) => r.status === 'success')).toBe(true);
      const truth = await te.truth();
      const facts = collectedFacts(store);
      expect(facts.users).toEqual([...truth.users!].sort());
      expect(facts.machines).toEqual([...truth.machines!].sort());
      expect(facts.memberships).toEqual(
        truth.memberships!.map((m) => `${m.groupId}|${m.memberId}|${m.memberType}`).sort(),
      );
      expect(facts.logonPairs).toEqual(
        truth
          .machineLogonUserPairs!.map((p) =>
            `${p.machineId}|${p.domain}\\${p.accountName}`.toLowerCase(),
          )
          .sort(),
      );
      expect(facts.cvePairs).toEqual(
        truth.machineCvePairs!.map((p) => `${p.machineId}|${p.cveId.toUpperCase()}`).sort(),
      );
      const expected = expectedRelationships(truth, te.emulator.tenantId);
      expect(facts.logonUserIsUser).toEqual(expected.logonUserIsUser);
      expect(facts.machineManagesDevice).toEqual(expected.machineManagesDevice);
      // Users disabled in either round are inactive now (unless deleted since).
      const disabled = new Set(truth.disabledUsers);
      for (const id of [...first.users.disabled, ...second.users.disabled])
        if (truth.users!.includes(id)) expect(disabled.has(id)).toBe(true);
      expect(
        store
          .entities(ENTITIES.USER._type)
          .map((u) => [String(u.id), u.active])
          .sort(),
      ).toEqual(truth.users!.map((id) => [id, !disabled.has(id)]).sort());
    } finally {
      await te.close();
    }
  });
});
