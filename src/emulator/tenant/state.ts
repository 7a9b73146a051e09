import { OverlayCollection } from './collection.js';
import { createContext, type TenantContext } from './context.js';
import { DirectoryChangeLog } from './change-log.js';
import { CveCatalog } from './cves.js';
import { DeviceFactory } from './devices.js';
import { GroupFactory, type MemberRef } from './groups.js';
import { LogonFactory, logonKey, type LogonEntry } from './logons.js';
import { MachineFactory } from './machines.js';
import type { GraphDevice, GraphGroup, GraphUser, Machine, TenantOptions } from './types.js';
import { UserFactory } from './users.js';

/** An account seen on at least one machine, with on how many. */
export interface LogonAccountUse {
  domain: string;
  accountName: string;
  machines: number;
}

/** Machines having each CVE, from a scan of every machine. */
interface Exposure {
  /** Count per catalogue index. */
  counts: Int32Array;
  /** Catalogue indexes with a count above 0, ascending. */
  live: number[];
}

/**
 * The tenant's data: generators for the initial tenant plus the small overlays churn leaves behind
 * (removed and added members, logons and CVEs per machine). Everything else is derived on access.
 */
export class TenantState {
  readonly ctx: TenantContext;
  readonly userFactory: UserFactory;
  readonly groupFactory: GroupFactory;
  readonly machineFactory: MachineFactory;
  readonly deviceFactory: DeviceFactory;
  readonly logonFactory: LogonFactory;
  readonly catalog: CveCatalog;

  readonly users: OverlayCollection<GraphUser>;
  readonly groups: OverlayCollection<GraphGroup>;
  readonly devices: OverlayCollection<GraphDevice>;
  readonly machines: OverlayCollection<Machine>;

  /** Catalogue size: the initial CVEs plus those churn published since. */
  cveCatalogSize: number;
  round = 0;
  /** When each user and membership last changed: what the delta endpoints answer from. */
  readonly changes = new DirectoryChangeLog();

  private readonly membersAdded = new Map<number, MemberRef[]>();
  private readonly usersRemovedFromGroup = new Map<number, Set<number>>();
  private readonly logonsAdded = new Map<number, LogonEntry[]>();
  private readonly cvesAdded = new Map<number, number[]>();
  private readonly cvesRemoved = new Map<number, Set<number>>();
  private exposureCache: Exposure | undefined;
  private logonAccountsCache: Map<string, LogonAccountUse> | undefined;

  constructor(options: TenantOptions) {
    for (const [name, value] of Object.entries(options)) {
      const valid =
        name === 'now'
          ? value === undefined || Number.isFinite(value)
          : Number.isInteger(value) && value >= 0;
      if (!valid) {
        const expected = name === 'now' ? 'a time in epoch milliseconds' : 'a non-negative integer';
        throw new RangeError(`tenant option ${name} must be ${expected}, got ${String(value)}`);
      }
    }
    this.ctx = createContext(options);
    const { sizes } = this.ctx;
    this.userFactory = new UserFactory(this.ctx);
    this.machineFactory = new MachineFactory(this.ctx);
    this.deviceFactory = new DeviceFactory(this.ctx, this.machineFactory);
    this.groupFactory = new GroupFactory(this.ctx, this.deviceFactory.count);
    this.logonFactory = new LogonFactory(this.ctx, this.userFactory);
    this.catalog = new CveCatalog(this.ctx);
    this.cveCatalogSize = sizes.cves;

    const users = this.userFactory;
    const groups = this.groupFactory;
    const devices = this.deviceFactory;
    const machines = this.machineFactory;
    this.users = new OverlayCollection(
      (i) => users.user(i),
      (id) => users.ids.indexOf(id),
      sizes.users,
    );
    this.groups = new OverlayCollection(
      (i) => groups.group(i),
      (id) => groups.ids.indexOf(id),
      sizes.groups,
    );
    this.devices = new OverlayCollection(
      (i) => devices.device(i),
      (id) => devices.ids.indexOf(id),
      devices.count,
    );
    this.machines = new OverlayCollection(
      (i) => machines.machine(i),
      (id) => machines.ids.indexOf(id),
      sizes.machines,
    );
  }

  // ---- group membership ----

  memberRefs(groupIndex: number): MemberRef[] {
    const removed = this.usersRemovedFromGroup.get(groupIndex);
    const base = this.groupFactory.baseMembers(groupIndex);
    const kept = removed ? base.filter((m) => !(m.type === 'user' && removed.has(m.index))) : base;
    return [...kept, ...(this.membersAdded.get(groupIndex) ?? [])];
  }

  hasUserMember(groupIndex: number, userIndex: number): boolean {
    return this.memberRefs(groupIndex).some((m) => m.type === 'user' && m.index === userIndex);
  }

  addUserMember(groupIndex: number, userIndex: number): void {
    this.changes.memberChanged(groupIndex, { type: 'user', index: userIndex }, this.round);
    const added = this.membersAdded.get(groupIndex) ?? [];
    added.push({ type: 'user', index: userIndex });
    this.membersAdded.set(groupIndex, added);
  }

  removeUserMember(groupIndex: number, userIndex: number): void {
    this.changes.memberChanged(groupIndex, { type: 'user', index: userIndex }, this.round);
    const added = this.membersAdded.get(groupIndex);
    const position = added?.findIndex((m) => m.type === 'user' && m.index === userIndex) ?? -1;
    if (added && position >= 0) {
      added.splice(position, 1);
      return;
    }
    const removed = this.usersRemovedFromGroup.get(groupIndex) ?? new Set<number>();
    removed.add(userIndex);
    this.usersRemovedFromGroup.set(groupIndex, removed);
  }

  // ---- per-machine logons and CVEs ----

  logonEntries(machineIndex: number): LogonEntry[] {
    const base = this.logonFactory.baseLogons(this.machineFactory.profile(machineIndex));
    return [...base, ...(this.logonsAdded.get(machineIndex) ?? [])];
  }

  addLogon(machineIndex: number, entry: LogonEntry): void {
    const added = this.logonsAdded.get(machineIndex) ?? [];
    added.push(entry);
    this.logonsAdded.set(machineIndex, added);
  }

  cveIndexes(machineIndex: number): number[] {
    const removed = this.cvesRemoved.get(machineIndex);
    const base = this.catalog.baseCvesOf(machineIndex);
    const kept = removed ? base.filter((c) => !removed.has(c)) : base;
    return [...kept, ...(this.cvesAdded.get(machineIndex) ?? [])];
  }

  addCve(machineIndex: number, cveIndex: number): void {
    const removed = this.cvesRemoved.get(machineIndex);
    if (removed?.delete(cveIndex)) return;
    const added = this.cvesAdded.get(machineIndex) ?? [];
    added.push(cveIndex);
    this.cvesAdded.set(machineIndex, added);
  }

  removeCve(machineIndex: number, cveIndex: number): void {
    const added = this.cvesAdded.get(machineIndex);
    const position = added?.indexOf(cveIndex) ?? -1;
    if (added && position >= 0) {
      added.splice(position, 1);
      return;
    }
    const removed = this.cvesRemoved.get(machineIndex) ?? new Set<number>();
    removed.add(cveIndex);
    this.cvesRemoved.set(machineIndex, removed);
  }

  // ---- whole-tenant aggregates: computed on demand, dropped when churn changes data ----

  exposure(): Exposure {
    if (this.exposureCache) return this.exposureCache;
    const counts = new Int32Array(this.cveCatalogSize);
    for (const m of this.machines.indexes())
      for (const c of this.cveIndexes(m)) counts[c] = (counts[c] as number) + 1;
    const live: number[] = [];
    counts.forEach((count, c) => {
      if (count > 0) live.push(c);
    });
    this.exposureCache = { counts, live };
    return this.exposureCache;
  }

  /** Distinct logon accounts (case-insensitive DOMAIN\account) over the current machines. */
  logonAccounts(): Map<string, LogonAccountUse> {
    if (this.logonAccountsCache) return this.logonAccountsCache;
    const accounts = new Map<string, LogonAccountUse>();
    for (const m of this.machines.indexes()) {
      for (const entry of this.logonEntries(m)) {
        const key = logonKey(entry);
        const use = accounts.get(key);
        if (use) use.machines++;
        else
          accounts.set(key, { domain: entry.domain, accountName: entry.accountName, machines: 1 });
      }
    }
    this.logonAccountsCache = accounts;
    return accounts;
  }

  /** Churn calls this after changing anything the aggregates summarise. */
  invalidate(): void {
    this.exposureCache = undefined;
    this.logonAccountsCache = undefined;
  }
}
