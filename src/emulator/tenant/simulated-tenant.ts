import { advanceTenant, type ChurnSizes } from './churn.js';
import { IndexListCollection, type Collection } from './collection.js';
import type { MemberRef } from './groups.js';
import { applyHostileValues } from './hostile-values.js';
import { logonKey, logonUserObject } from './logons.js';
import { organizationOf } from './organization.js';
import { MachineVulnerabilityRows } from './rows.js';
import { buildRoster, type RosterEntry } from './roster.js';
import { TenantState } from './state.js';
import type {
  ChangeReport,
  DirectoryObject,
  GraphDevice,
  GraphGroup,
  GraphUser,
  GroundTruth,
  LogonUser,
  Machine,
  MachineVulnerability,
  MachineVulnerabilityRow,
  Organization,
  TenantOptions,
  Vulnerability,
} from './types.js';
import { USER_DEFAULT_PROPERTIES } from './users.js';

const PUBLIC_VULNERABILITY_DTO = '#microsoft.windowsDefenderATP.api.PublicVulnerabilityDto';

/**
 * A deterministic simulated Microsoft tenant: Entra directory (organization, users, groups,
 * members, devices) and Defender (machines, logon users, vulnerabilities). Same options, same data.
 */
export class SimulatedTenant {
  private readonly state: TenantState;
  readonly tenantId: string;
  readonly users: Collection<GraphUser>;
  readonly groups: Collection<GraphGroup>;
  readonly devices: Collection<GraphDevice>;
  readonly machines: Collection<Machine>;
  /** CVEs at least one machine has, with `exposedMachines` counted over the current machines. */
  readonly vulnerabilities: Collection<Vulnerability>;
  private readonly rows: MachineVulnerabilityRows;

  constructor({ hostileValues, ...options }: TenantOptions) {
    const state = new TenantState(options);
    this.state = state;
    this.tenantId = state.ctx.tenantId;
    this.users = state.users;
    this.groups = state.groups;
    this.devices = state.devices;
    this.machines = state.machines;
    this.vulnerabilities = new IndexListCollection(
      () => state.exposure().live,
      (c) => state.catalog.vulnerability(c, state.exposure().counts[c] ?? 0),
      (id) => state.catalog.indexOf(id),
      (c) => (state.exposure().counts[c] ?? 0) > 0,
    );
    this.rows = new MachineVulnerabilityRows(state);
    if (hostileValues) applyHostileValues(state.users, hostileValues);
  }

  /** Rounds of churn applied so far. */
  get round(): number {
    return this.state.round;
  }

  organization(): Organization {
    return organizationOf(this.state.ctx);
  }

  private memberObject(ref: MemberRef): DirectoryObject {
    const s = this.state;
    switch (ref.type) {
      case 'user': {
        const user = s.users.get(ref.index) as GraphUser;
        const defaults = Object.fromEntries(
          USER_DEFAULT_PROPERTIES.filter((p) => p !== 'id').map((p) => [p, user[p]]),
        );
        return { '@odata.type': '#microsoft.graph.user', id: user.id, ...defaults };
      }
      case 'group':
        return {
          '@odata.type': '#microsoft.graph.group',
          ...(s.groups.get(ref.index) as GraphGroup),
        };
      case 'device':
        return {
          '@odata.type': '#microsoft.graph.device',
          ...(s.devices.get(ref.index) as GraphDevice),
        };
      case 'servicePrincipal':
        return {
          '@odata.type': '#microsoft.graph.servicePrincipal',
          ...(s.groupFactory.servicePrincipal(ref.index) as { id: string }),
        };
      case 'orgContact':
        return {
          '@odata.type': '#microsoft.graph.orgContact',
          ...(s.groupFactory.orgContact(ref.index) as { id: string }),
        };
    }
  }

  /** Direct members, as `/groups/{id}/members` lists them; undefined for an unknown group. */
  groupMembers(groupId: string): DirectoryObject[] | undefined {
    const g = this.state.groups.indexOf(groupId);
    return g === undefined
      ? undefined
      : this.state.memberRefs(g).map((ref) => this.memberObject(ref));
  }

  /** Members of the group and of every group nested in it (nested groups included), each once. */
  groupTransitiveMembers(groupId: string): DirectoryObject[] | undefined {
    const root = this.state.groups.indexOf(groupId);
    if (root === undefined) return undefined;
    const seen = new Set<string>([`group:${root}`]);
    const found: MemberRef[] = [];
    const pending = [root];
    for (let g = pending.shift(); g !== undefined; g = pending.shift()) {
      for (const ref of this.state.memberRefs(g)) {
        const key = `${ref.type}:${ref.index}`;
        if (seen.has(key)) continue;
        seen.add(key);
        found.push(ref);
        if (ref.type === 'group') pending.push(ref.index);
      }
    }
    return found.map((ref) => this.memberObject(ref));
  }

  machineLogonUsers(machineId: string): LogonUser[] | undefined {
    const m = this.state.machines.indexOf(machineId);
    return m === undefined ? undefined : this.state.logonEntries(m).map(logonUserObject);
  }

  machineVulnerabilities(machineId: string): MachineVulnerability[] | undefined {
    const m = this.state.machines.indexOf(machineId);
    if (m === undefined) return undefined;
    const { counts } = this.state.exposure();
    return this.state.cveIndexes(m).map((c) => ({
      '@odata.type': PUBLIC_VULNERABILITY_DTO,
      ...this.state.catalog.vulnerability(c, counts[c] ?? 0),
    }));
  }

  machineVulnerabilityRows(): Collection<MachineVulnerabilityRow> {
    return this.rows;
  }

  /** What a complete, correct collection of the tenant must find. Lists are skipped with `lists: false`. */
  truth(options: { lists?: boolean } = {}): GroundTruth {
    const lists = options.lists ?? true;
    const s = this.state;
    const logonAccounts = s.logonAccounts();
    const exposure = s.exposure();
    let logonPairCount = 0;
    for (const use of logonAccounts.values()) logonPairCount += use.machines;
    let cvePairCount = 0;
    for (const c of exposure.live) cvePairCount += exposure.counts[c] as number;
    const truth: GroundTruth = {
      counts: {
        users: s.users.count(),
        groups: s.groups.count(),
        memberships: 0,
        machines: s.machines.count(),
        devices: s.devices.count(),
        logonUsers: logonAccounts.size,
        machineLogonUserPairs: logonPairCount,
        cves: exposure.live.length,
        machineCvePairs: cvePairCount,
      },
    };
    const memberships: NonNullable<GroundTruth['memberships']> = [];
    for (const g of s.groups.indexes()) {
      const refs = s.memberRefs(g);
      truth.counts.memberships += refs.length;
      if (!lists) continue;
      const groupId = s.groupFactory.ids.id(g);
      for (const ref of refs)
        memberships.push({ groupId, memberId: this.memberId(ref), memberType: ref.type });
    }
    const logonPairs: NonNullable<GroundTruth['machineLogonUserPairs']> = [];
    const cvePairs: NonNullable<GroundTruth['machineCvePairs']> = [];
    for (const m of lists ? s.machines.indexes() : []) {
      const machineId = s.machineFactory.ids.id(m);
      for (const e of s.logonEntries(m)) {
        logonPairs.push({
          machineId,
          domain: e.domain,
          accountName: e.accountName,
          ...(e.accountSid === null ? {} : { accountSid: e.accountSid }),
        });
      }
      for (const c of s.cveIndexes(m)) cvePairs.push({ machineId, cveId: s.catalog.id(c) });
    }
    if (lists) {
      truth.users = [...s.users.indexes()].map((i) => s.userFactory.ids.id(i));
      truth.groups = [...s.groups.indexes()].map((i) => s.groupFactory.ids.id(i));
      truth.memberships = memberships;
      truth.machines = [...s.machines.indexes()].map((i) => s.machineFactory.ids.id(i));
      truth.machineLogonUserPairs = logonPairs;
      truth.machineCvePairs = cvePairs;
      truth.disabledUsers = [...s.users.indexes()]
        .filter((i) => s.users.get(i)?.accountEnabled === false)
        .map((i) => s.userFactory.ids.id(i));
      truth.logonUserLinks = [...s.users.indexes()].flatMap((i) => {
        const identity = s.logonFactory.userIdentity(s.userFactory.profile(i));
        return identity && logonAccounts.has(logonKey(identity))
          ? [
              {
                domain: identity.domain,
                accountName: identity.accountName,
                userId: s.userFactory.ids.id(i),
              },
            ]
          : [];
      });
      truth.people = buildRoster(s).truth;
    }
    return truth;
  }

  /** The HR roster consistent with the tenant as it is now; its expectations are in `truth().people`. */
  roster(): RosterEntry[] {
    return buildRoster(this.state).rows;
  }

  private memberId(ref: MemberRef): string {
    const s = this.state;
    switch (ref.type) {
      case 'user':
        return s.userFactory.ids.id(ref.index);
      case 'group':
        return s.groupFactory.ids.id(ref.index);
      case 'device':
        return s.deviceFactory.ids.id(ref.index);
      default:
        return this.memberObject(ref).id;
    }
  }

  /**
   * What `/users/delta` or `/groups/delta` returns for changes after `since` (a round; undefined
   * for the initial listing): the current object, or `{ id, '@removed' }` for one that is gone.
   * Groups carry `members@delta` (graph-api.md §5.6): every member initially, else the members
   * that joined or left, those that left with `@removed`.
   */
  directoryDelta(kind: 'users' | 'groups', since: number | undefined): object[] {
    const s = this.state;
    const removed = (id: string) => ({ id, '@removed': { reason: 'deleted' } });
    if (kind === 'users') {
      const indexes = since === undefined ? [...s.users.indexes()] : s.changes.usersSince(since);
      return indexes.map((u) => s.users.get(u) ?? removed(s.userFactory.ids.id(u)));
    }
    const memberDelta = (ref: MemberRef, present: boolean) => {
      const member = { '@odata.type': `#microsoft.graph.${ref.type}`, id: this.memberId(ref) };
      return present ? member : { ...member, ...removed(member.id) };
    };
    const changed =
      since === undefined
        ? [...s.groups.indexes()].map((group) => ({ group, refs: s.memberRefs(group) }))
        : s.changes.membersSince(since);
    return changed.map(({ group, refs }) => {
      const current = new Set(s.memberRefs(group).map((m) => `${m.type}:${m.index}`));
      return {
        ...(s.groups.get(group) as GraphGroup),
        'members@delta': refs.map((ref) =>
          memberDelta(ref, current.has(`${ref.type}:${ref.index}`)),
        ),
      };
    });
  }

  /** Applies one deterministic round of churn (of `sizes`, default ~1%) and reports exactly what changed. */
  advance(sizes: ChurnSizes = {}): ChangeReport {
    return advanceTenant(this.state, sizes);
  }
}
