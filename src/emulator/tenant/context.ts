import { randomGuid } from './ids.js';
import { ORGANIZATIONS } from './names.js';
import { randomFor, Stream, type Random } from './random.js';
import type { TenantOptions, TenantSizes } from './types.js';

/** 2026-11-01T00:00:00Z: the default "now", so data does not depend on the wall clock. */
export const DEFAULT_NOW = Date.UTC(2026, 10, 1);

const DAY = 86_400_000;

/** Everything tenant-wide the generators need: sizes, names and domains derived from the seed. */
export interface TenantContext {
  seed: number;
  sizes: TenantSizes;
  now: number;
  tenantId: string;
  orgName: string;
  /** Custom verified domain, e.g. contoso.com. */
  domain: string;
  /** The *.onmicrosoft.com initial domain. */
  initialDomain: string;
  /** On-premises AD DNS domain of synced users, e.g. contoso.corp: its first label is the NetBIOS name. */
  adDomain: string;
  /** NetBIOS name of the AD domain: the `accountDomain` of domain logons. */
  netbios: string;
  /** S-1-5-21-x-y-z: users' on-premises SIDs are this plus a RID. */
  domainSid: string;
  /** Rotates the archetype patterns so different seeds put features on different indexes. */
  rotation: number;
}

export function createContext(options: TenantOptions): TenantContext {
  const seed = options.seed >>> 0;
  const r = randomFor(seed, Stream.tenant, 0);
  const name = r.pick(ORGANIZATIONS);
  const slug = `${name.toLowerCase()}${r.between(10, 99)}`;
  const now = Math.floor((options.now ?? DEFAULT_NOW) / DAY) * DAY;
  return {
    seed,
    sizes: {
      users: options.users,
      groups: options.groups,
      machines: options.machines,
      cves: options.cves,
      logonUsersPerMachine: options.logonUsersPerMachine,
      vulnerabilitiesPerMachine: options.vulnerabilitiesPerMachine,
    },
    now,
    tenantId: randomGuid(seed, Stream.tenant, 1),
    orgName: name,
    domain: `${slug}.com`,
    initialDomain: `${slug}.onmicrosoft.com`,
    adDomain: `${name.toLowerCase()}.corp`,
    netbios: name.toUpperCase(),
    domainSid: `S-1-5-21-${r.between(1e9, 4e9)}-${r.between(1e9, 4e9)}-${r.between(1e8, 4e9)}`,
    rotation: r.int(1000),
  };
}

/** ISO-8601 with whole seconds, as logon users and Graph carry them. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** ISO-8601 with 3 to 7 fractional digits (sub-millisecond ones random), as Defender's vary. */
export function isoFraction(ms: number, r: Random): string {
  const digits = r.between(3, 7);
  const subMillisecond = String(r.int(10_000)).padStart(4, '0');
  return `${new Date(ms).toISOString().slice(0, 23)}${subMillisecond}`.slice(0, 20 + digits) + 'Z';
}

export const DAY_MS = DAY;
