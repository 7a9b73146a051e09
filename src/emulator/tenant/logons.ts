import { DAY_MS, isoSeconds, type TenantContext } from './context.js';
import { cloudSid } from './ids.js';
import type { MachineProfile } from './machines.js';
import { GIVEN_NAMES, LOCAL_ACCOUNTS, LOGON_TYPES, SERVICE_ACCOUNTS, SURNAMES } from './names.js';
import { hash32, randomFor, Stream, type Random } from './random.js';
import type { UserFactory, UserProfile } from './users.js';
import type { LogonUser } from './types.js';

/** One account seen on one machine. */
export interface LogonEntry {
  domain: string;
  accountName: string;
  accountSid: string | null;
  isDomainAdmin: boolean;
  logonTypes: string;
  isOnlyNetworkUser: boolean | null;
  firstSeenMs: number;
  lastSeenMs: number;
}

/** Case-insensitive DOMAIN\account: the identity of a logon user across machines. */
export function logonKey(entry: { domain: string; accountName: string }): string {
  return `${entry.domain}\\${entry.accountName}`.toLowerCase();
}

export function logonUserObject(entry: LogonEntry): LogonUser {
  return {
    id: `${entry.domain}\\${entry.accountName}`,
    accountName: entry.accountName,
    accountDomain: entry.domain,
    accountSid: entry.accountSid,
    firstSeen: isoSeconds(entry.firstSeenMs),
    lastSeen: isoSeconds(entry.lastSeenMs),
    mostPrevalentMachineId: null,
    leastPrevalentMachineId: null,
    logonTypes: entry.logonTypes,
    logOnMachinesCount: null,
    isDomainAdmin: entry.isDomainAdmin,
    isOnlyNetworkUser: entry.isOnlyNetworkUser,
  };
}

const SID_MISSING_SALT = 0x51d;
const ON_PREMISES_SALT = 0x0b9e;

/** An employee with an on-premises AD account that is not synced to Entra (no directory user). */
export interface OnPremisesEmployee {
  k: number;
  givenName: string;
  surname: string;
  samAccountName: string;
  /** Even k: the SID shows on logons (and the roster lists only it); odd k: no SID anywhere. */
  sid: string | null;
}

/** About one on-premises-only employee per 40 directory users (none in a tenant without users). */
export function onPremisesEmployeeCount(users: number): number {
  return users === 0 ? 0 : Math.max(2, Math.floor(users / 40));
}

type Identity = Pick<LogonEntry, 'domain' | 'accountName' | 'accountSid' | 'isDomainAdmin'>;

/**
 * Who logs on where: hybrid users as NETBIOS\sAMAccountName with their on-premises SID, cloud-only
 * users as AzureAD\{UPN local part}, plus local and service accounts that match no directory user.
 */
export class LogonFactory {
  constructor(
    private readonly ctx: TenantContext,
    private readonly users: UserFactory,
  ) {}

  /** A directory user's logon identity; guests never log on to company machines. */
  userIdentity(user: UserProfile): Identity | undefined {
    if (user.kind === 'hybrid') {
      return {
        domain: this.ctx.netbios,
        accountName: user.samAccountName as string,
        // Real captures often lack the SID; then only sAMAccountName + domain identify the user.
        // Decided per account, so an account reads the same on every machine and in every round.
        accountSid: hash32(this.ctx.seed, user.index, SID_MISSING_SALT) % 4 === 0 ? null : user.sid,
        isDomainAdmin: user.isDomainAdmin,
      };
    }
    if (user.kind === 'cloud') {
      return {
        domain: 'AzureAD',
        accountName: user.cloudAccountName,
        accountSid: cloudSid(this.users.ids.id(user.index)),
        isDomainAdmin: false,
      };
    }
    return undefined;
  }

  onPremisesEmployee(k: number): OnPremisesEmployee {
    const r = randomFor(this.ctx.seed, Stream.onPremisesEmployee, k);
    const givenName = r.pick(GIVEN_NAMES);
    const surname = r.pick(SURNAMES);
    return {
      k,
      givenName,
      surname,
      samAccountName: `${givenName[0]}${surname}x${k}`.toLowerCase(),
      sid: k % 2 === 0 ? `${this.ctx.domainSid}-${30000 + k}` : null,
    };
  }

  /** Some machines' local-account logons are by on-premises-only employees instead, decided per slot. */
  private onPremisesIdentity(machine: MachineProfile, slot: number): Identity | undefined {
    const count = onPremisesEmployeeCount(this.ctx.sizes.users);
    const h = hash32(this.ctx.seed, machine.index, slot, ON_PREMISES_SALT);
    if (count === 0 || h % 3 !== 0) return undefined;
    const employee = this.onPremisesEmployee((h >>> 2) % count);
    return {
      domain: this.ctx.netbios,
      accountName: employee.samAccountName,
      accountSid: employee.sid,
      isDomainAdmin: false,
    };
  }

  /** A machine-local account: domain = the host name, SID = the machine's SID plus a RID. */
  localIdentity(machine: MachineProfile, accountName: string): Identity {
    const r = randomFor(this.ctx.seed, Stream.localAccount, machine.index);
    const machineSid = `S-1-5-21-${r.between(1e8, 4e9)}-${r.between(1e8, 4e9)}-${r.between(1e8, 4e9)}`;
    const known = LOCAL_ACCOUNTS.indexOf(accountName);
    const rid =
      accountName === 'administrator'
        ? 500
        : known >= 0
          ? 1001 + known
          : 1100 + (hash32(...[...accountName].map((ch) => ch.charCodeAt(0))) % 800);
    return {
      domain: machine.hostName.toUpperCase(),
      accountName,
      accountSid: `${machineSid}-${rid}`,
      isDomainAdmin: false,
    };
  }

  /** Service account k of SERVICE_ACCOUNTS; the first (svc_backup) is a domain admin. */
  private serviceIdentity(k: number): Identity {
    return {
      domain: this.ctx.netbios,
      accountName: SERVICE_ACCOUNTS[k] as string,
      accountSid: `${this.ctx.domainSid}-${9000 + k}`,
      isDomainAdmin: k === 0,
    };
  }

  entry(identity: Identity, r: Random, lastSeenMs: number, service = false): LogonEntry {
    const logonTypes = service ? r.pick(['Batch', 'Service', 'Network']) : r.pick(LOGON_TYPES);
    return {
      domain: identity.domain,
      accountName: identity.accountName,
      accountSid: identity.accountSid,
      isDomainAdmin: identity.isDomainAdmin,
      logonTypes,
      isOnlyNetworkUser: identity.accountSid === null ? null : logonTypes === 'Network',
      firstSeenMs: lastSeenMs - r.int(300) * DAY_MS - r.int(DAY_MS),
      lastSeenMs,
    };
  }

  baseLogons(machine: MachineProfile): LogonEntry[] {
    const { sizes, seed, now } = this.ctx;
    if (machine.canBeOnboarded) return [];
    const r = randomFor(seed, Stream.machineLogons, machine.index);
    const wanted = sizes.logonUsersPerMachine;
    const seen = new Set<string>();
    const entries: LogonEntry[] = [];
    const newest = now - (machine.inactive ? r.between(35, 150) : r.int(10)) * DAY_MS;
    for (let attempt = 0; entries.length < wanted && attempt < wanted * 6; attempt++) {
      const roll = entries.length === 0 ? 0 : r.next();
      let identity: Identity | undefined;
      let service = false;
      if (roll < 0.65 && sizes.users > 0) {
        const user = this.users.profile(
          entries.length === 0 ? r.int(sizes.users) : r.skewed(sizes.users, 2),
        );
        identity = this.userIdentity(user);
      } else if (roll < 0.85) {
        service = true;
        identity = this.serviceIdentity(r.int(SERVICE_ACCOUNTS.length));
      }
      if (machine.backupAgent && entries.length === 1) {
        service = true;
        identity = this.serviceIdentity(0);
      }
      if (!identity) {
        const local = r.pick(LOCAL_ACCOUNTS);
        identity =
          this.onPremisesIdentity(machine, entries.length) ?? this.localIdentity(machine, local);
      }
      const key = logonKey(identity);
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push(this.entry(identity, r, newest - r.int(5) * DAY_MS - r.int(DAY_MS), service));
    }
    return entries;
  }
}
