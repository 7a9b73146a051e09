import { describe, expect, it } from 'vitest';
import {
  SimulatedTenant,
  type ChangeReport,
  type TenantOptions,
} from '../../src/emulator/tenant/index.js';

const OPTIONS: TenantOptions = {
  seed: 11,
  users: 300,
  groups: 30,
  machines: 200,
  cves: 80,
  logonUsersPerMachine: 3,
  vulnerabilitiesPerMachine: 6,
};

interface Snapshot {
  organization: string;
  users: Map<string, Record<string, unknown>>;
  groups: Map<string, string>;
  devices: Map<string, string>;
  machines: Map<string, Record<string, unknown>>;
  /** CVE objects without the org-wide count, which follows the pairs. */
  cves: Map<string, string>;
  memberships: Set<string>;
  logonPairs: Set<string>;
  logonAccounts: Map<string, { domain: string; accountName: string }>;
  /** Logon user objects per machine. */
  logonUsers: Map<string, string>;
  cvePairs: Set<string>;
}

function snapshot(t: SimulatedTenant): Snapshot {
  const truth = t.truth();
  const machines = [...t.machines];
  const logonAccounts = new Map<string, { domain: string; accountName: string }>();
  for (const p of truth.machineLogonUserPairs ?? []) {
    logonAccounts.set(`${p.domain}\\${p.accountName}`.toLowerCase(), {
      domain: p.domain,
      accountName: p.accountName,
    });
  }
  return {
    organization: JSON.stringify(t.organization()),
    users: new Map([...t.users].map((u) => [u.id, u])),
    groups: new Map([...t.groups].map((g) => [g.id, JSON.stringify(g)])),
    devices: new Map([...t.devices].map((d) => [d.id, JSON.stringify(d)])),
    machines: new Map(machines.map((m) => [m.id, m as unknown as Record<string, unknown>])),
    cves: new Map(
      [...t.vulnerabilities].map(({ exposedMachines: _, ...v }) => [v.id, JSON.stringify(v)]),
    ),
    memberships: new Set((truth.memberships ?? []).map((m) => `${m.groupId}|${m.memberId}`)),
    logonPairs: new Set(
      (truth.machineLogonUserPairs ?? []).map((p) => `${p.machineId}|${p.domain}|${p.accountName}`),
    ),
    logonAccounts,
    logonUsers: new Map(machines.map((m) => [m.id, JSON.stringify(t.machineLogonUsers(m.id))])),
    cvePairs: new Set((truth.machineCvePairs ?? []).map((p) => `${p.machineId}|${p.cveId}`)),
  };
}

const added = <T>(before: Set<T> | Map<T, unknown>, after: Set<T> | Map<T, unknown>): T[] =>
  [...after.keys()].filter((k) => !before.has(k)).sort() as T[];
const sorted = (items: string[]): string[] => [...items].sort();

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

function checkReport(before: Snapshot, after: Snapshot, report: ChangeReport): void {
  // Users: added and deleted by id; disabled and updated by what changed; nobody else changed.
  expect(sorted(report.users.added)).toEqual(added(before.users, after.users));
  expect(sorted(report.users.deleted)).toEqual(added(after.users, before.users));
  const disabled: string[] = [];
  const updated: string[] = [];
  for (const [id, user] of after.users) {
    const old = before.users.get(id);
    if (!old) continue;
    const keys = changedKeys(old, user);
    if (keys.includes('accountEnabled')) disabled.push(id);
    if (keys.some((k) => k !== 'accountEnabled')) updated.push(id);
    if (keys.includes('accountEnabled')) expect(user.accountEnabled).toBe(false);
  }
  expect(sorted(report.users.disabled)).toEqual(disabled.sort());
  expect(sorted(report.users.updated)).toEqual(updated.sort());

  // Directory objects that never churn.
  expect(after.organization).toBe(before.organization);
  expect(after.groups).toEqual(before.groups);
  expect(after.devices).toEqual(before.devices);

  const pairKeys = (pairs: { groupId: string; memberId: string }[]) =>
    sorted(pairs.map((p) => `${p.groupId}|${p.memberId}`));
  expect(pairKeys(report.groups.membersAdded)).toEqual(
    added(before.memberships, after.memberships),
  );
  expect(pairKeys(report.groups.membersRemoved)).toEqual(
    added(after.memberships, before.memberships),
  );

  // Machines.
  expect(sorted(report.machines.onboarded)).toEqual(added(before.machines, after.machines));
  expect(sorted(report.machines.offboarded)).toEqual(added(after.machines, before.machines));
  const machineUpdates = [...after.machines]
    .filter(([id]) => before.machines.has(id))
    .map(([id, m]) => ({
      id,
      fields: changedKeys(before.machines.get(id) as Record<string, unknown>, m),
    }))
    .filter((u) => u.fields.length > 0);
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
  expect(
    [...report.machines.updated]
      .map((u) => ({ id: u.id, fields: [...u.fields].sort() }))
      .sort(byId),
  ).toEqual(machineUpdates.map((u) => ({ id: u.id, fields: u.fields.sort() })).sort(byId));

  // Vulnerabilities: pairs and the CVE list; CVE objects themselves only change their count.
  const cveKeys = (pairs: { machineId: string; cveId: string }[]) =>
    sorted(pairs.map((p) => `${p.machineId}|${p.cveId}`));
  expect(cveKeys(report.vulnerabilities.found)).toEqual(added(before.cvePairs, after.cvePairs));
  expect(cveKeys(report.vulnerabilities.remediated)).toEqual(
    added(after.cvePairs, before.cvePairs),
  );
  expect(sorted(report.vulnerabilities.newCves)).toEqual(added(before.cves, after.cves));
  expect(sorted(report.vulnerabilities.removedCves)).toEqual(added(after.cves, before.cves));
  for (const [id, cve] of after.cves)
    if (before.cves.has(id)) expect(cve).toBe(before.cves.get(id));

  // Logons: pairs, distinct accounts, and untouched machines list the same logon user objects.
  const logonKeys = (pairs: { machineId: string; domain: string; accountName: string }[]) =>
    sorted(pairs.map((p) => `${p.machineId}|${p.domain}|${p.accountName}`));
  expect(logonKeys(report.logons.added)).toEqual(added(before.logonPairs, after.logonPairs));
  expect(logonKeys(report.logons.removed)).toEqual(added(after.logonPairs, before.logonPairs));
  const accountKeys = (accounts: { domain: string; accountName: string }[]) =>
    sorted(accounts.map((a) => `${a.domain}\\${a.accountName}`.toLowerCase()));
  expect(accountKeys(report.logons.newLogonUsers)).toEqual(
    added(before.logonAccounts, after.logonAccounts),
  );
  expect(accountKeys(report.logons.removedLogonUsers)).toEqual(
    added(after.logonAccounts, before.logonAccounts),
  );
  const touched = new Set(report.logons.added.map((p) => p.machineId));
  for (const [id, logons] of after.logonUsers)
    if (!touched.has(id) && before.logonUsers.has(id))
      expect(logons).toBe(before.logonUsers.get(id));
}

describe('SimulatedTenant.advance', () => {
  it.each([OPTIONS.seed, 12, 13])(
    'reports exactly what changed, round after round (seed %i)',
    (seed) => {
      const t = new SimulatedTenant({ ...OPTIONS, seed });
      let before = snapshot(t);
      for (let round = 1; round <= 3; round++) {
        const report = t.advance();
        const after = snapshot(t);
        expect(report.round).toBe(round);
        checkReport(before, after, report);
        before = after;
      }
    },
  );

  it('changes at least one of every kind, about 1% of each collection', () => {
    const t = new SimulatedTenant(OPTIONS);
    const report = t.advance();
    for (const list of [
      report.users.added,
      report.users.disabled,
      report.users.deleted,
      report.users.updated,
      report.groups.membersAdded,
      report.groups.membersRemoved,
      report.machines.onboarded,
      report.machines.offboarded,
      report.machines.updated,
      report.vulnerabilities.found,
      report.vulnerabilities.remediated,
      report.vulnerabilities.newCves,
      report.vulnerabilities.removedCves,
      report.logons.added,
      report.logons.newLogonUsers,
    ]) {
      expect(list.length).toBeGreaterThan(0);
    }
    expect(report.users.deleted.length).toBe(3);
    expect(report.machines.onboarded.length).toBe(2);
    // The brand-new CVE is published in the current year and absent before.
    expect(report.vulnerabilities.newCves.some((id) => id.startsWith('CVE-2026-'))).toBe(true);
  });

  it('makes deleted users and offboarded machines unreachable by id', () => {
    const t = new SimulatedTenant(OPTIONS);
    const report = t.advance();
    for (const id of report.users.deleted) expect(t.users.byId(id)).toBeUndefined();
    for (const id of report.machines.offboarded) {
      expect(t.machines.byId(id)).toBeUndefined();
      expect(t.machineLogonUsers(id)).toBeUndefined();
      expect(t.machineVulnerabilities(id)).toBeUndefined();
    }
    for (const id of report.vulnerabilities.removedCves)
      expect(t.vulnerabilities.byId(id)).toBeUndefined();
    for (const id of report.vulnerabilities.newCves)
      expect(t.vulnerabilities.byId(id)?.exposedMachines).toBeGreaterThan(0);
    for (const id of report.machines.onboarded) expect(t.machines.byId(id)?.id).toBe(id);
    for (const id of report.users.added) expect(t.users.byId(id)?.id).toBe(id);
  });

  it('still works on a tenant with no users, groups or CVEs', () => {
    const t = new SimulatedTenant({ ...OPTIONS, users: 0, groups: 0, cves: 0, machines: 3 });
    const before = snapshot(t);
    const report = t.advance();
    checkReport(before, snapshot(t), report);
    expect(report.users.added.length).toBe(1);
    expect(report.vulnerabilities.newCves.length).toBe(1);
  });
});
