import type { ChangeReport, GroundTruth } from '../../src/emulator/tenant/types.js';
import type { GraphStore } from '../../src/store/index.js';

/** Entity and relationship keys per the shared graph-model contract. */
export const keys = {
  account: (tenantId: string) => `microsoft_defender_account:${tenantId}`,
  user: (id: string) => `microsoft_defender_user:${id}`,
  group: (id: string) => `microsoft_defender_user_group:${id}`,
  machine: (id: string) => `microsoft_defender_machine:${id}`,
  device: (id: string) => `user_endpoint.${id}`,
  logonUser: (a: { domain: string; accountName: string }) =>
    `microsoft_defender_logon_user:${a.domain}\\${a.accountName}`.toLowerCase(),
  vulnerability: (cve: string) => `microsoft_defender_vulnerability:${cve.toUpperCase()}`,
  cve: (cve: string) => cve.toLowerCase(),
  rel: (from: string, verb: string, to: string) => `${from}|${verb}|${to}`,
};

export interface GraphSnapshot {
  /** Live relationships: key → [from, to, type]. */
  relationships: Map<string, { from: string; to: string; type: string }>;
  /** Logon user IS user keys the tenant implies (its `/admin/truth`, not the collector's matcher). */
  logonUserLinks: Set<string>;
}

/** The store's live relationships and the tenant's logon-user links, before or after a sync. */
export async function snapshotRelationships(
  store: GraphStore,
  truth: Pick<GroundTruth, 'logonUserLinks'>,
): Promise<GraphSnapshot> {
  const rows = await store.read<{ key: string; from_key: string; to_key: string; type: string }>(
    'SELECT key, from_key, to_key, type FROM relationships WHERE deleted = FALSE',
    [],
  );
  return {
    relationships: new Map(
      rows.map((r) => [r.key, { from: r.from_key, to: r.to_key, type: r.type }]),
    ),
    logonUserLinks: new Set(
      truth.logonUserLinks!.map((l) => keys.rel(keys.logonUser(l), 'is', keys.user(l.userId))),
    ),
  };
}

export interface ExpectedChanges {
  created: string[];
  updated: string[];
  deleted: string[];
}

/** Machine fields the emulator changes that also show on the machine's Device entity. */
const DEVICE_FIELDS = new Set(['lastSeen']);

/**
 * What one `/admin/advance` implies for the graph: every object created, updated and deleted.
 * Group member links depend on which directory object a member is, so they are looked up in the
 * graph before and after; logon-user → user links come from the tenant's truth before and after.
 */
export function expectedChanges(
  report: ChangeReport,
  tenantId: string,
  before: GraphSnapshot,
  after: GraphSnapshot,
): ExpectedChanges {
  const account = keys.account(tenantId);
  const created = new Set<string>();
  const updated = new Set<string>();
  const deleted = new Set<string>();

  for (const id of report.users.added) {
    created.add(keys.user(id));
    created.add(keys.rel(account, 'has', keys.user(id)));
  }
  for (const id of report.users.deleted) {
    deleted.add(keys.user(id));
    deleted.add(keys.rel(account, 'has', keys.user(id)));
  }
  for (const id of [...report.users.disabled, ...report.users.updated]) {
    if (!report.users.deleted.includes(id) && !report.users.added.includes(id))
      updated.add(keys.user(id));
  }

  const memberLink = (graph: GraphSnapshot, groupId: string, memberId: string) => {
    const from = keys.group(groupId);
    const found = [...graph.relationships].filter(
      ([, r]) => r.from === from && r.to.includes(memberId),
    );
    if (found.length !== 1)
      throw new Error(`expected one link ${from} → ${memberId}, found ${found.length}`);
    return found[0]![0];
  };
  for (const m of report.groups.membersAdded) created.add(memberLink(after, m.groupId, m.memberId));
  for (const m of report.groups.membersRemoved)
    deleted.add(memberLink(before, m.groupId, m.memberId));

  /** A machine comes and goes with its device and both of their relationships. */
  const machineKeys = (id: string) => [
    keys.machine(id),
    keys.device(id),
    keys.rel(account, 'has', keys.machine(id)),
    keys.rel(keys.machine(id), 'manages', keys.device(id)),
  ];
  for (const id of report.machines.onboarded) for (const key of machineKeys(id)) created.add(key);
  for (const id of report.machines.offboarded) for (const key of machineKeys(id)) deleted.add(key);
  for (const { id, fields } of report.machines.updated) {
    updated.add(keys.machine(id));
    if (fields.some((f) => DEVICE_FIELDS.has(f))) updated.add(keys.device(id));
  }

  const v = report.vulnerabilities;
  for (const cve of v.newCves) {
    created.add(keys.vulnerability(cve));
    created.add(keys.cve(cve));
    created.add(keys.rel(keys.vulnerability(cve), 'is', keys.cve(cve)));
  }
  for (const cve of v.removedCves) {
    deleted.add(keys.vulnerability(cve));
    deleted.add(keys.cve(cve));
    deleted.add(keys.rel(keys.vulnerability(cve), 'is', keys.cve(cve)));
  }
  const exposedDelta = new Map<string, number>();
  for (const p of v.found) {
    created.add(keys.rel(keys.machine(p.machineId), 'identified', keys.vulnerability(p.cveId)));
    exposedDelta.set(p.cveId, (exposedDelta.get(p.cveId) ?? 0) + 1);
  }
  for (const p of v.remediated) {
    deleted.add(keys.rel(keys.machine(p.machineId), 'identified', keys.vulnerability(p.cveId)));
    exposedDelta.set(p.cveId, (exposedDelta.get(p.cveId) ?? 0) - 1);
  }
  // A CVE's entity counts its exposed machines, so a net change in that count updates it.
  for (const [cve, delta] of exposedDelta) {
    if (delta !== 0 && !v.newCves.includes(cve) && !v.removedCves.includes(cve))
      updated.add(keys.vulnerability(cve));
  }

  for (const l of report.logons.added)
    created.add(keys.rel(keys.machine(l.machineId), 'has', keys.logonUser(l)));
  for (const l of report.logons.removed)
    deleted.add(keys.rel(keys.machine(l.machineId), 'has', keys.logonUser(l)));
  for (const a of report.logons.newLogonUsers) created.add(keys.logonUser(a));
  for (const a of report.logons.removedLogonUsers) deleted.add(keys.logonUser(a));

  for (const key of after.logonUserLinks) if (!before.logonUserLinks.has(key)) created.add(key);
  for (const key of before.logonUserLinks) if (!after.logonUserLinks.has(key)) deleted.add(key);

  const sorted = (s: Set<string>) => [...s].sort();
  return { created: sorted(created), updated: sorted(updated), deleted: sorted(deleted) };
}
