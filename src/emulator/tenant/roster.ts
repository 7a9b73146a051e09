/**
 * The HR roster consistent with the simulated tenant, and its ground truth: which person each
 * account belongs to, which accounts are ambiguous, which joins only a name could make. Built from
 * the tenant's own model (who each user is), never by matching, so it can judge a matcher.
 */
import { DAY_MS, type TenantContext } from './context.js';
import { logonKey, onPremisesEmployeeCount } from './logons.js';
import { hash32 } from './random.js';
import type { TenantState } from './state.js';
import type { GraphUser } from './types.js';
import { personEmployeeId, type UserProfile } from './users.js';

export interface RosterEntry {
  employeeId: string;
  email: string[];
  firstName: string;
  lastName: string;
  displayName: string;
  title?: string;
  department?: string;
  manager?: string;
  employeeType: string;
  employmentStatus: 'active' | 'leave' | 'terminated';
  startDate: string;
  endDate?: string;
  samAccountName?: string;
  onPremisesSid?: string;
}

/**
 * The hard cases a roster row (or account) exercises; `plain` is none. The first nine are drawn per
 * person by a seeded hash; the others follow from the account.
 */
export const ROSTER_CASES = [
  'case',
  'plus-address',
  'alias',
  'domain-alias',
  'contractor',
  'terminated',
  'leave',
  'no-email',
  'conflict-source',
  'plain',
  'name-only',
  'admin-account',
  'on-premises-sid',
  'on-premises-sam',
] as const;
export type RosterCase = (typeof ROSTER_CASES)[number];

export type TruthAccount =
  { type: 'user'; id: string } | { type: 'logonUser'; domain: string; accountName: string };

export interface PeopleTruth {
  rosterRows: number;
  /** Every account that must link to a person (logon users only when they have no directory user). */
  links: { employeeId: string; account: TruthAccount; case: RosterCase }[];
  /** Accounts the roster gives to two people: no link, reported. */
  conflicts: { account: TruthAccount; employeeIds: string[] }[];
  /** Person and account that only their names join: never linked unless the name rule is on. */
  nameOnly: { employeeId: string; userId: string }[];
  /** Roster people no account belongs to. */
  withoutAccount: string[];
  /** Who manages whom (the roster's `manager` cells, by email or employeeId, resolved). */
  managers: { employeeId: string; managerId: string }[];
  /** Terminated or on-leave people with an enabled directory account. */
  departedWithEnabledAccounts: { employeeId: string; userId: string; status: string }[];
}

const CASES: readonly RosterCase[] = ROSTER_CASES.slice(0, 9);
const ROSTER_SALT = 0x7e57;

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function caseOf(ctx: TenantContext, index: number): RosterCase {
  const h = hash32(ctx.seed, index, ROSTER_SALT) % 16;
  return h < CASES.length ? CASES[h]! : 'plain';
}

function swapDomain(address: string, from: string, to: string): string {
  const [local, domain] = address.split('@') as [string, string];
  return domain === from ? `${local}@${to}` : address;
}

interface Built {
  rows: RosterEntry[];
  truth: PeopleTruth;
}

export function buildRoster(s: TenantState): Built {
  const ctx = s.ctx;
  const rows: RosterEntry[] = [];
  const truth: PeopleTruth = {
    rosterRows: 0,
    links: [],
    conflicts: [],
    nameOnly: [],
    withoutAccount: [],
    managers: [],
    departedWithEnabledAccounts: [],
  };
  const members = new Map<number, { profile: UserProfile; user: GraphUser }>();
  for (const i of s.users.indexes()) {
    const profile = s.userFactory.profile(i);
    const user = s.users.get(i);
    if (user && profile.kind !== 'guest') members.set(i, { profile, user });
  }
  const isPerson = (i: number) => members.get(i)?.profile.role === 'person';
  const primary = (user: GraphUser) => (user.mail ?? user.userPrincipalName).toLowerCase();
  const baseCase = (i: number): RosterCase =>
    // HR re-issued the id of some cloud-only people and has no email for them: only names join them.
    members.get(i)!.profile.kind === 'cloud' && (i + ctx.rotation) % 20 === 13
      ? 'name-only'
      : caseOf(ctx, i);
  // A conflict source also lists the address of a later person whose account has no employeeId
  // (which would otherwise decide): that account then matches two people.
  const conflictTarget = new Map<number, number>();
  const conflicted = new Set<number>();
  for (const i of [...members.keys()].sort((a, b) => a - b)) {
    if (!isPerson(i) || baseCase(i) !== 'conflict-source' || conflicted.has(i)) continue;
    for (let j = i + 1; j <= i + 8; j++) {
      const target = members.get(j);
      if (!target || !isPerson(j) || target.user.employeeId !== null || conflicted.has(j)) continue;
      if (['no-email', 'name-only', 'conflict-source'].includes(baseCase(j))) continue;
      conflictTarget.set(i, j);
      conflicted.add(j);
      break;
    }
  }
  const caseOfPerson = (i: number): RosterCase => {
    const c = baseCase(i);
    return c === 'conflict-source' && !conflictTarget.has(i) ? 'plain' : c;
  };
  const employeeIdOf = (i: number) =>
    caseOfPerson(i) === 'name-only' ? `R${String(100000 + i)}` : personEmployeeId(i);
  const managerOf = (i: number): number | undefined => {
    for (let m = i - (i % 10); m < i; m++) if (isPerson(m)) return m;
    return undefined;
  };

  const sourceOf = new Map([...conflictTarget].map(([source, target]) => [target, source]));
  for (const [i, { profile, user }] of members) {
    if (profile.role !== 'person') continue;
    const c = caseOfPerson(i);
    const employeeId = employeeIdOf(i);
    const address = primary(user);
    let email = [address];
    if (profile.userPrincipalName.endsWith(`@${ctx.initialDomain}`) && user.mail === null)
      email = [swapDomain(address, ctx.initialDomain, ctx.domain)];
    else if (c === 'case') email = [address.toUpperCase()];
    else if (c === 'plus-address') email = [address.replace('@', '+hr@')];
    else if (c === 'alias')
      email = [`${profile.givenName}.${profile.surname}@${ctx.domain}`.toLowerCase(), address];
    else if (c === 'domain-alias') email = [swapDomain(address, ctx.domain, ctx.initialDomain)];
    else if (c === 'no-email' || c === 'name-only') email = [];
    else if (c === 'conflict-source')
      email = [address, primary(members.get(conflictTarget.get(i)!)!.user)];
    const status = c === 'terminated' ? 'terminated' : c === 'leave' ? 'leave' : 'active';
    const manager = managerOf(i);
    if (manager !== undefined)
      truth.managers.push({ employeeId, managerId: employeeIdOf(manager) });
    rows.push({
      employeeId,
      email,
      firstName: profile.givenName,
      lastName: profile.surname,
      displayName: `${profile.givenName} ${profile.surname}`,
      title: typeof user.jobTitle === 'string' ? user.jobTitle : undefined,
      department: typeof user.department === 'string' ? user.department : undefined,
      manager:
        manager === undefined
          ? undefined
          : i % 2 === 0 && !['no-email', 'name-only'].includes(caseOfPerson(manager))
            ? primary(members.get(manager)!.user)
            : employeeIdOf(manager),
      employeeType: c === 'contractor' ? 'contractor' : 'employee',
      employmentStatus: status,
      startDate: isoDate(ctx.now - 700 * DAY_MS),
      endDate: status === 'active' ? undefined : isoDate(ctx.now - 30 * DAY_MS),
      samAccountName: c === 'no-email' ? (profile.samAccountName ?? undefined) : undefined,
    });
  }

  const linkedPeople = new Set<string>();
  const addLink = (employeeId: string, account: TruthAccount, c: RosterCase) => {
    truth.links.push({ employeeId, account, case: c });
    linkedPeople.add(employeeId);
  };
  for (const [i, { profile, user }] of members) {
    if (
      profile.role === 'admin' &&
      isPerson(profile.ownerIndex!) &&
      caseOfPerson(profile.ownerIndex!) !== 'name-only'
    ) {
      addLink(
        personEmployeeId(profile.ownerIndex!),
        { type: 'user', id: user.id },
        'admin-account',
      );
      continue;
    }
    if (profile.role !== 'person') continue;
    const c = caseOfPerson(i);
    const account = { type: 'user' as const, id: user.id };
    if (conflicted.has(i)) {
      truth.conflicts.push({
        account,
        employeeIds: [employeeIdOf(sourceOf.get(i)!), employeeIdOf(i)],
      });
    } else if (
      c === 'name-only' ||
      (c === 'no-email' && user.employeeId === null && profile.samAccountName === null)
    ) {
      truth.nameOnly.push({ employeeId: employeeIdOf(i), userId: user.id });
    } else addLink(personEmployeeId(i), account, c);
  }

  // New hires with no account yet, each named like an existing person with an account.
  const named = [...members.keys()].filter(
    (i) =>
      isPerson(i) && !['no-email', 'name-only'].includes(caseOfPerson(i)) && !conflicted.has(i),
  );
  const hires = named.length === 0 ? 0 : Math.max(1, Math.floor(members.size / 50));
  for (let k = 0; k < hires; k++) {
    const namesake = members.get(named[hash32(ctx.seed, k, ROSTER_SALT + 1) % named.length]!)!;
    rows.push({
      employeeId: `N${String(1000 + k)}`,
      email: [],
      firstName: namesake.profile.givenName,
      lastName: namesake.profile.surname,
      displayName: `${namesake.profile.givenName} ${namesake.profile.surname}`,
      employeeType: 'employee',
      employmentStatus: 'active',
      startDate: isoDate(ctx.now + 14 * DAY_MS),
    });
  }

  const seen = s.logonAccounts();
  for (let k = 0; k < onPremisesEmployeeCount(ctx.sizes.users); k++) {
    const employee = s.logonFactory.onPremisesEmployee(k);
    const employeeId = `E${String(900000 + k)}`;
    rows.push({
      employeeId,
      email: [],
      firstName: employee.givenName,
      lastName: employee.surname,
      displayName: `${employee.givenName} ${employee.surname}`,
      employeeType: 'employee',
      employmentStatus: 'active',
      startDate: isoDate(ctx.now - 900 * DAY_MS),
      ...(employee.sid === null
        ? { samAccountName: employee.samAccountName }
        : { onPremisesSid: employee.sid }),
    });
    const account = { domain: ctx.netbios, accountName: employee.samAccountName };
    if (seen.has(logonKey(account)))
      addLink(
        employeeId,
        { type: 'logonUser', ...account },
        employee.sid === null ? 'on-premises-sam' : 'on-premises-sid',
      );
  }

  const statusOf = new Map(rows.map((r) => [r.employeeId, r.employmentStatus]));
  for (const link of truth.links) {
    const status = statusOf.get(link.employeeId);
    if (link.account.type !== 'user' || status === 'active') continue;
    const index = s.users.indexOf(link.account.id);
    if (index !== undefined && s.users.get(index)?.accountEnabled)
      truth.departedWithEnabledAccounts.push({
        employeeId: link.employeeId,
        userId: link.account.id,
        status: status!,
      });
  }
  truth.rosterRows = rows.length;
  truth.withoutAccount = rows.map((r) => r.employeeId).filter((id) => !linkedPeople.has(id));
  return { rows, truth };
}
