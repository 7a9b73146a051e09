import { isoFraction } from './context.js';
import { distinctIndexes } from './groups.js';
import { logonKey, type LogonEntry } from './logons.js';
import { EXPOSURE_LEVELS, RISK_SCORES } from './machines.js';
import { DEPARTMENTS, JOB_TITLES, OFFICES } from './names.js';
import { randomFor, Stream, type Random } from './random.js';
import type { TenantState } from './state.js';
import type { ChangeReport, GraphUser, LogonPair, Machine, MachineCvePair } from './types.js';

/** Simulated time between rounds, so `lastSeen` of updated machines moves forward. */
const ROUND_MS = 10 * 60_000;

/**
 * How much of each kind one round changes: a number below 1 is a share of the collection, 1 or
 * more a count. Unset kinds change about 1% (memberships 5% of groups), at least one.
 */
export interface ChurnSizes {
  users?: number;
  groups?: number;
  machines?: number;
  vulnerabilities?: number;
  logons?: number;
}

function share(n: number, size: number | undefined, fraction = 0.01): number {
  if (size !== undefined && size >= 1) return Math.round(size);
  return Math.max(1, Math.round(n * (size ?? fraction)));
}

function pickDistinct<T>(r: Random, items: readonly T[], k: number): T[] {
  return distinctIndexes(r, items.length, Math.min(k, items.length)).map((i) => items[i] as T);
}

function pickOther<T>(r: Random, options: readonly T[], current: T | null): T {
  return r.pick(options.filter((o) => o !== current));
}

function emptyReport(round: number): ChangeReport {
  return {
    round,
    users: { added: [], disabled: [], deleted: [], updated: [] },
    groups: { membersAdded: [], membersRemoved: [] },
    machines: { onboarded: [], offboarded: [], updated: [] },
    vulnerabilities: { found: [], remediated: [], newCves: [], removedCves: [] },
    logons: { added: [], removed: [], newLogonUsers: [], removedLogonUsers: [] },
  };
}

interface Round {
  s: TenantState;
  r: Random;
  now: number;
  report: ChangeReport;
  sizes: ChurnSizes;
}

function churnUsers({ s, r, report, sizes }: Round): { added: number[]; deleted: Set<number> } {
  const live = [...s.users.indexes()];
  const k = live.length === 0 ? 0 : share(live.length, sizes.users);
  const disabled: number[] = [];
  const deleted: number[] = [];
  const updated: number[] = [];
  for (const u of pickDistinct(r, live, 3 * k + 10)) {
    if (disabled.length < k && (s.users.get(u) as GraphUser).accountEnabled) disabled.push(u);
    else if (deleted.length < k) deleted.push(u);
    else if (updated.length < k) updated.push(u);
  }
  const id = (u: number): string => s.userFactory.ids.id(u);
  for (const u of disabled) s.users.patch(u, { accountEnabled: false });
  for (const u of deleted) s.users.remove(u);
  for (const u of updated) {
    const user = s.users.get(u) as GraphUser;
    s.users.patch(u, {
      jobTitle: pickOther(r, JOB_TITLES, user.jobTitle),
      department: pickOther(r, DEPARTMENTS, user.department),
      officeLocation: pickOther(r, OFFICES, user.officeLocation),
    });
  }
  const added = Array.from({ length: share(live.length, sizes.users) }, () => s.users.append());
  for (const u of [...disabled, ...deleted, ...updated, ...added])
    s.changes.userChanged(u, s.round);
  report.users = {
    added: added.map(id),
    disabled: disabled.map(id),
    deleted: deleted.map(id),
    updated: updated.map(id),
  };
  return { added, deleted: new Set(deleted) };
}

function churnGroups(
  { s, r, report, sizes }: Round,
  addedUsers: number[],
  deletedUsers: Set<number>,
): void {
  const groups = [...s.groups.indexes()];
  if (groups.length === 0) return;
  const pair = (g: number, u: number) => ({
    groupId: s.groupFactory.ids.id(g),
    memberId: s.userFactory.ids.id(u),
  });
  for (const g of groups) {
    for (const ref of s.memberRefs(g)) {
      if (ref.type !== 'user' || !deletedUsers.has(ref.index)) continue;
      s.removeUserMember(g, ref.index);
      report.groups.membersRemoved.push(pair(g, ref.index));
    }
  }
  const joined = new Set<string>();
  const join = (g: number, u: number): void => {
    if (s.hasUserMember(g, u)) return;
    s.addUserMember(g, u);
    joined.add(`${g}:${u}`);
    report.groups.membersAdded.push(pair(g, u));
  };
  for (const u of addedUsers) join(r.pick(groups), u);
  const k = share(groups.length, sizes.groups, 0.05);
  const newcomers = new Set(addedUsers);
  const stayingUsers = [...s.users.indexes()].filter((u) => !newcomers.has(u));
  if (stayingUsers.length > 0)
    for (let i = 0; i < k; i++) join(r.pick(groups), r.pick(stayingUsers));
  for (let i = 0; i < k; i++) {
    const g = r.pick(groups);
    const leavers = s
      .memberRefs(g)
      .filter((m) => m.type === 'user' && !joined.has(`${g}:${m.index}`));
    if (leavers.length === 0) continue;
    const u = r.pick(leavers).index;
    s.removeUserMember(g, u);
    report.groups.membersRemoved.push(pair(g, u));
  }
}

const MACHINE_FIELDS = ['riskScore', 'healthStatus', 'exposureLevel', 'lastSeen'] as const;

function machinePatch(
  r: Random,
  now: number,
  machine: Machine,
  fields: readonly (typeof MACHINE_FIELDS)[number][],
): Partial<Machine> {
  const patch: Partial<Machine> = {};
  for (const field of fields) {
    if (field === 'riskScore') patch.riskScore = pickOther(r, RISK_SCORES, machine.riskScore);
    if (field === 'exposureLevel')
      patch.exposureLevel = pickOther(r, EXPOSURE_LEVELS, machine.exposureLevel);
    if (field === 'healthStatus') {
      patch.healthStatus =
        machine.healthStatus === 'Active'
          ? r.pick(['Inactive', 'ImpairedCommunication'])
          : 'Active';
    }
    if (field === 'lastSeen') patch.lastSeen = isoFraction(now - r.int(ROUND_MS), r);
  }
  return patch;
}

interface MachineChurn {
  remaining: number[];
  onboarded: number[];
  offboardedCves: MachineCvePair[];
  offboardedLogons: LogonPair[];
}

function churnMachines({ s, r, now, report, sizes }: Round): MachineChurn {
  const live = [...s.machines.indexes()];
  const k = share(live.length, sizes.machines);
  const picks = pickDistinct(r, live, 2 * k);
  const offboarded = picks.slice(0, Math.min(k, live.length - 1));
  const updated = picks.slice(offboarded.length);
  const id = (m: number): string => s.machineFactory.ids.id(m);
  const offboardedCves: MachineCvePair[] = [];
  const offboardedLogons: LogonPair[] = [];
  for (const m of offboarded) {
    for (const c of s.cveIndexes(m))
      offboardedCves.push({ machineId: id(m), cveId: s.catalog.id(c) });
    for (const e of s.logonEntries(m))
      offboardedLogons.push({ machineId: id(m), domain: e.domain, accountName: e.accountName });
    s.machines.remove(m);
  }
  for (const m of updated) {
    const fields = pickDistinct(r, MACHINE_FIELDS, r.between(1, 3));
    s.machines.patch(m, machinePatch(r, now, s.machines.get(m) as Machine, fields));
    report.machines.updated.push({
      id: id(m),
      fields: MACHINE_FIELDS.filter((f) => fields.includes(f)),
    });
  }
  const onboarded = Array.from({ length: k }, () => s.machines.append());
  report.machines.onboarded = onboarded.map(id);
  report.machines.offboarded = offboarded.map(id);
  const gone = new Set(offboarded);
  return {
    remaining: live.filter((m) => !gone.has(m)),
    onboarded,
    offboardedCves,
    offboardedLogons,
  };
}

function churnCves(
  { s, r, report, sizes }: Round,
  machines: MachineChurn,
  exposureBefore: Int32Array,
  liveCvesBefore: number[],
): void {
  const { remaining } = machines;
  const pair = (m: number, c: number): MachineCvePair => ({
    machineId: s.machineFactory.ids.id(m),
    cveId: s.catalog.id(c),
  });
  const { found, remediated } = report.vulnerabilities;
  const foundNow = new Set<string>();
  const find = (m: number, c: number): void => {
    s.addCve(m, c);
    foundNow.add(`${m}:${c}`);
    found.push(pair(m, c));
  };
  // The least widespread CVE gets fixed everywhere, so it leaves /api/vulnerabilities.
  let gone: number | undefined;
  for (const c of liveCvesBefore)
    if (gone === undefined || (exposureBefore[c] as number) < (exposureBefore[gone] as number))
      gone = c;
  if (gone !== undefined) {
    for (const m of remaining) {
      if (!s.cveIndexes(m).includes(gone)) continue;
      s.removeCve(m, gone);
      remediated.push(pair(m, gone));
    }
  }
  const fresh = s.cveCatalogSize++;
  for (const m of pickDistinct(r, remaining, r.between(1, 3))) find(m, fresh);
  const k = share(remaining.length, sizes.vulnerabilities);
  const catalogue = s.ctx.sizes.cves;
  for (const m of pickDistinct(r, remaining, k)) {
    if (catalogue === 0) break;
    const has = new Set(s.cveIndexes(m));
    for (let attempt = 0; attempt < 10; attempt++) {
      const c = r.skewed(catalogue);
      if (c === gone || has.has(c)) continue;
      find(m, c);
      break;
    }
  }
  for (const m of pickDistinct(r, remaining, k)) {
    const fixable = s.cveIndexes(m).filter((c) => c !== gone && !foundNow.has(`${m}:${c}`));
    if (fixable.length === 0) continue;
    const c = r.pick(fixable);
    s.removeCve(m, c);
    remediated.push(pair(m, c));
  }
  for (const m of machines.onboarded) for (const c of s.cveIndexes(m)) found.push(pair(m, c));
  remediated.push(...machines.offboardedCves);
}

/** A machine that reports a new logon has been seen again, so its `lastSeen` moves too. */
function reportSeen({ s, r, now, report }: Round, m: number): void {
  s.machines.patch(m, { lastSeen: isoFraction(now, r) });
  const id = s.machineFactory.ids.id(m);
  const known = report.machines.updated.find((u) => u.id === id);
  if (!known) report.machines.updated.push({ id, fields: ['lastSeen'] });
  else if (!known.fields.includes('lastSeen')) known.fields.push('lastSeen');
}

function churnLogons(round: Round, machines: MachineChurn, addedUsers: number[]): void {
  const { s, r, now, report, sizes } = round;
  const id = (m: number): string => s.machineFactory.ids.id(m);
  const eligible = machines.remaining.filter((m) => !s.machineFactory.profile(m).canBeOnboarded);
  const baseUsers = s.ctx.sizes.users;
  pickDistinct(r, eligible, share(eligible.length, sizes.logons)).forEach((m, i) => {
    const present = new Set(s.logonEntries(m).map(logonKey));
    let identity:
      | Omit<LogonEntry, 'logonTypes' | 'isOnlyNetworkUser' | 'firstSeenMs' | 'lastSeenMs'>
      | undefined;
    if (i === 0) {
      // One account no machine has seen before: a user added this round, or a new local admin.
      const newcomer = addedUsers
        .map((u) => s.userFactory.profile(u))
        .find((p) => p.kind !== 'guest');
      identity = newcomer
        ? s.logonFactory.userIdentity(newcomer)
        : s.logonFactory.localIdentity(s.machineFactory.profile(m), `tempadmin${s.round}`);
    } else {
      for (let attempt = 0; attempt < 10 && baseUsers > 0 && identity === undefined; attempt++) {
        const u = r.skewed(baseUsers, 2);
        const candidate = s.users.isLive(u)
          ? s.logonFactory.userIdentity(s.userFactory.profile(u))
          : undefined;
        if (candidate && !present.has(logonKey(candidate))) identity = candidate;
      }
    }
    if (!identity || present.has(logonKey(identity))) return;
    s.addLogon(m, { ...s.logonFactory.entry(identity, r, now), firstSeenMs: now });
    reportSeen(round, m);
    report.logons.added.push({
      machineId: id(m),
      domain: identity.domain,
      accountName: identity.accountName,
    });
  });
  for (const m of machines.onboarded) {
    for (const e of s.logonEntries(m))
      report.logons.added.push({ machineId: id(m), domain: e.domain, accountName: e.accountName });
  }
  report.logons.removed = machines.offboardedLogons;
}

/**
 * One round of churn. Derived lists in the report (new and removed CVEs and logon accounts) come
 * from comparing the aggregates before and after, so they are exact by construction.
 */
export function advanceTenant(s: TenantState, sizes: ChurnSizes = {}): ChangeReport {
  const before = { exposure: s.exposure(), logonAccounts: s.logonAccounts() };
  s.round++;
  const round: Round = {
    s,
    r: randomFor(s.ctx.seed, Stream.advance, s.round),
    now: s.ctx.now + s.round * ROUND_MS,
    report: emptyReport(s.round),
    sizes,
  };
  const users = churnUsers(round);
  churnGroups(round, users.added, users.deleted);
  const machines = churnMachines(round);
  churnCves(round, machines, before.exposure.counts, before.exposure.live);
  churnLogons(round, machines, users.added);
  s.invalidate();
  const after = { exposure: s.exposure(), logonAccounts: s.logonAccounts() };
  const { vulnerabilities, logons } = round.report;
  for (let c = 0; c < after.exposure.counts.length; c++) {
    const was = before.exposure.counts[c] ?? 0;
    const is = after.exposure.counts[c] as number;
    if (was === 0 && is > 0) vulnerabilities.newCves.push(s.catalog.id(c));
    if (was > 0 && is === 0) vulnerabilities.removedCves.push(s.catalog.id(c));
  }
  for (const [key, use] of after.logonAccounts) {
    if (!before.logonAccounts.has(key))
      logons.newLogonUsers.push({ domain: use.domain, accountName: use.accountName });
  }
  for (const [key, use] of before.logonAccounts) {
    if (!after.logonAccounts.has(key))
      logons.removedLogonUsers.push({ domain: use.domain, accountName: use.accountName });
  }
  return round.report;
}
