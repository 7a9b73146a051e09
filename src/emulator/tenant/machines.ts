import { DAY_MS, isoFraction, type TenantContext } from './context.js';
import { IndexedIds, randomGuid } from './ids.js';
import { CLIENT_HOST_PREFIXES, SERVER_HOST_PREFIXES } from './names.js';
import { randomFor, Stream, type Random } from './random.js';
import type { IpAddress, Machine } from './types.js';

interface OsProfile {
  osPlatform: string;
  version: string | null;
  osBuild: number | null;
  family: 'windows' | 'linux' | 'mac';
  server: boolean;
  agentPrefix: string;
}

const OPERATING_SYSTEMS: OsProfile[] = [
  {
    osPlatform: 'Windows10',
    version: '22H2',
    osBuild: 19045,
    family: 'windows',
    server: false,
    agentPrefix: '10.8760.19045',
  },
  {
    osPlatform: 'Windows11',
    version: '23H2',
    osBuild: 22631,
    family: 'windows',
    server: false,
    agentPrefix: '10.8760.22631',
  },
  {
    osPlatform: 'Windows11',
    version: '24H2',
    osBuild: 26100,
    family: 'windows',
    server: false,
    agentPrefix: '10.8760.26100',
  },
  {
    osPlatform: 'WindowsServer2019',
    version: '1809',
    osBuild: 17763,
    family: 'windows',
    server: true,
    agentPrefix: '10.8760.17763',
  },
  {
    osPlatform: 'WindowsServer2022',
    version: '21H2',
    osBuild: 20348,
    family: 'windows',
    server: true,
    agentPrefix: '10.8760.20348',
  },
  {
    osPlatform: 'Ubuntu',
    version: '22.04',
    osBuild: null,
    family: 'linux',
    server: true,
    agentPrefix: '101.24052',
  },
  {
    osPlatform: 'macOS',
    version: '14.5',
    osBuild: null,
    family: 'mac',
    server: false,
    agentPrefix: '101.24062',
  },
];

export const RISK_SCORES = ['None', 'Informational', 'Low', 'Medium', 'High'];

export const EXPOSURE_LEVELS = ['None', 'Low', 'Medium', 'High'];

/** Weighted towards Windows clients, as real fleets are. */
const OS_WEIGHTS = [30, 25, 10, 10, 10, 8, 7];

/** The facts of a machine other generators (Entra devices, logons, CVE products) also need. */
export interface MachineProfile {
  index: number;
  id: string;
  /** NetBIOS-style short name; local logons use it (upper-case) as their domain. */
  hostName: string;
  computerDnsName: string | null;
  os: OsProfile;
  inactive: boolean;
  canBeOnboarded: boolean;
  /** Runs a backup agent as the domain-admin service account (a classic finding). */
  backupAgent: boolean;
  duplicateOf: number | null;
  mergedInto: number | null;
  aadDeviceId: string | null;
}

function weightedPick<T>(r: Random, items: readonly T[], weights: readonly number[]): T {
  let roll = r.int(weights.reduce((a, b) => a + b, 0));
  for (let i = 0; i < items.length; i++) {
    roll -= weights[i] as number;
    if (roll < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

function privateIp(r: Random): string {
  switch (r.int(3)) {
    case 0:
      return `10.${r.int(256)}.${r.int(256)}.${r.between(2, 254)}`;
    case 1:
      return `172.${r.between(16, 31)}.${r.int(256)}.${r.between(2, 254)}`;
    default:
      return `192.168.${r.int(256)}.${r.between(2, 254)}`;
  }
}

function publicIp(r: Random): string {
  return `${r.pick([20, 40, 52, 104, 131, 174, 203])}.${r.int(256)}.${r.int(256)}.${r.between(1, 254)}`;
}

export class MachineFactory {
  readonly ids: IndexedIds;

  constructor(private readonly ctx: TenantContext) {
    this.ids = new IndexedIds(ctx.seed, Stream.machineId, 'sha1');
  }

  private slot(index: number): number {
    return index + this.ctx.rotation;
  }

  /** Short name and DNS name (short or FQDN) of the machine at an index; twins reuse their original's. */
  private names(index: number): { hostName: string; dnsName: string } {
    const r = randomFor(this.ctx.seed, Stream.machine, index);
    const os = weightedPick(r, OPERATING_SYSTEMS, OS_WEIGHTS);
    const prefix = r.pick(os.server ? SERVER_HOST_PREFIXES : CLIENT_HOST_PREFIXES);
    const hostName = `${prefix}-${r.hex(6)}`;
    return { hostName, dnsName: r.chance(0.5) ? `${hostName}.${this.ctx.adDomain}` : hostName };
  }

  /** Base-range machines at index % 5 < 3 are Entra-registered; their device index follows from it. */
  linkedDeviceIndex(index: number): number | undefined {
    if (index >= this.ctx.sizes.machines || index % 5 >= 3) return undefined;
    return Math.floor(index / 5) * 3 + (index % 5);
  }

  profile(index: number): MachineProfile {
    const ctx = this.ctx;
    const r = randomFor(ctx.seed, Stream.machine, index);
    const os = weightedPick(r, OPERATING_SYSTEMS, OS_WEIGHTS);
    // Archetypes repeat every 20 machines, so each exists in any fleet of 20 or more.
    const slot = this.slot(index) % 20;
    const duplicateOf = index > 0 && slot === 11 ? index - 1 : null;
    const mergedInto = index > 0 && slot === 13 ? index - 1 : null;
    const twin = duplicateOf ?? mergedInto;
    const { hostName, dnsName } = this.names(twin ?? index);
    return {
      index,
      id: this.ids.id(index),
      hostName,
      computerDnsName: slot === 7 ? null : dnsName,
      os,
      inactive: slot === 4 || mergedInto !== null,
      canBeOnboarded: slot === 17,
      backupAgent: slot === 3,
      duplicateOf,
      mergedInto,
      aadDeviceId:
        this.linkedDeviceIndex(index) === undefined
          ? null
          : randomGuid(ctx.seed, Stream.deviceRegistrationId, index),
    };
  }

  private ipAddresses(r: Random, os: OsProfile, lastIp: string): IpAddress[] {
    const mac = (): string => r.hex(12).toUpperCase();
    const addresses: IpAddress[] = [
      { ipAddress: lastIp, macAddress: mac(), type: 'Ethernet', operationalStatus: 'Up' },
    ];
    if (!os.server && r.chance(0.4)) {
      addresses.push({
        ipAddress: `fe80::${r.hex(4)}:${r.hex(4)}:${r.hex(4)}:${r.hex(4)}`,
        macAddress: mac(),
        type: 'Other',
        operationalStatus: 'Up',
      });
    }
    if (r.chance(0.25)) {
      addresses.push({
        ipAddress: privateIp(r),
        macAddress: '000000000000',
        type: 'Other',
        operationalStatus: 'Down',
      });
    }
    if (os.family === 'windows' && r.chance(0.3)) {
      addresses.push({
        ipAddress: `2001:0:${r.hex(4)}:${r.hex(4)}::${r.hex(4)}`,
        macAddress: '00000000000000E0',
        type: 'Tunnel',
        operationalStatus: 'Up',
      });
    }
    if (os.server && r.chance(0.3)) {
      addresses.push({
        ipAddress: publicIp(r),
        macAddress: mac(),
        type: 'Ethernet',
        operationalStatus: 'Up',
      });
    }
    // Linux sensors report loopback as type Other with an all-zero MAC (seen in recorded Defender responses).
    const loopback =
      os.family === 'linux'
        ? { macAddress: '000000000000', type: 'Other' as const }
        : { macAddress: null, type: 'SoftwareLoopback' as const };
    addresses.push({ ipAddress: '127.0.0.1', ...loopback, operationalStatus: 'Up' });
    if (r.chance(0.5)) addresses.push({ ipAddress: '::1', ...loopback, operationalStatus: 'Up' });
    return addresses;
  }

  /** When the machine last reported, relative to the tenant's "now". */
  lastSeenMs(profile: MachineProfile, r: Random): number {
    const ageDays = profile.inactive ? r.between(35, 150) : r.int(3);
    return this.ctx.now - ageDays * DAY_MS - r.int(DAY_MS);
  }

  machine(index: number): Machine {
    const ctx = this.ctx;
    const p = this.profile(index);
    const r = randomFor(ctx.seed, Stream.machine, index, 1);
    const timestamp = (ms: number): string => isoFraction(ms, r);
    const lastSeen = this.lastSeenMs(p, r);
    const firstSeen = lastSeen - r.between(10, 700) * DAY_MS;
    const lastIp = p.os.server && r.chance(0.2) ? publicIp(r) : privateIp(r);
    const azureVm = p.os.server && r.chance(0.4);
    const rbac = p.os.server && r.chance(0.5);
    const slot = this.slot(index) % 20;
    const machine: Machine = {
      id: p.id,
      mergedIntoMachineId: p.mergedInto === null ? null : this.ids.id(p.mergedInto),
      isPotentialDuplication: p.duplicateOf !== null,
      isExcluded: false,
      exclusionReason: null,
      computerDnsName: p.computerDnsName,
      firstSeen: timestamp(firstSeen),
      lastSeen: timestamp(lastSeen),
      osPlatform: p.os.osPlatform,
      osVersion: null,
      osProcessor: p.os.family === 'mac' ? 'arm64' : 'x64',
      version: p.os.version,
      lastIpAddress: lastIp,
      lastExternalIpAddress: r.chance(0.9) ? publicIp(r) : null,
      agentVersion: `${p.os.agentPrefix}.${r.between(1000, 9999)}`,
      osBuild: p.os.osBuild,
      healthStatus: p.canBeOnboarded
        ? 'Unknown'
        : p.inactive
          ? 'Inactive'
          : r.chance(0.05)
            ? 'ImpairedCommunication'
            : 'Active',
      deviceValue: p.os.server ? r.pick(['Normal', 'High']) : r.pick(['Normal', 'Normal', 'Low']),
      rbacGroupId: rbac ? 140 : 0,
      rbacGroupName: rbac ? 'Servers' : null,
      riskScore: r.pick(RISK_SCORES),
      exposureLevel: r.pick(EXPOSURE_LEVELS),
      isAadJoined: p.aadDeviceId !== null ? true : r.chance(0.2) ? null : false,
      aadDeviceId: p.aadDeviceId,
      machineTags: r.chance(0.7) ? [] : [r.pick(['VIP', 'Finance', 'Kiosk', 'DMZ'])],
      defenderAvStatus: p.canBeOnboarded
        ? 'Unknown'
        : p.os.family === 'windows'
          ? r.pick(['Updated', 'Updated', 'NotUpdated'])
          : 'NotSupported',
      onboardingStatus: p.canBeOnboarded ? 'CanBeOnboarded' : 'Onboarded',
      osArchitecture: '64-bit',
      managedBy: p.aadDeviceId !== null ? 'Intune' : r.pick(['MDE', 'Unknown']),
      managedByStatus: 'Unknown',
      ipAddresses: this.ipAddresses(r, p.os, lastIp),
      vmMetadata: azureVm
        ? {
            vmId: randomGuid(ctx.seed, Stream.machine, index, 2),
            cloudProvider: 'Azure',
            resourceId: `/subscriptions/${randomGuid(ctx.seed, Stream.tenant, 7)}/resourceGroups/rg-servers/providers/Microsoft.Compute/virtualMachines/${p.hostName}`,
            subscriptionId: r.chance(0.8) ? randomGuid(ctx.seed, Stream.tenant, 7) : null,
          }
        : null,
    };
    // Real tenants have machines tagged with an empty string.
    if (slot === 9) machine.machineTags = ['', ...machine.machineTags];
    return p.canBeOnboarded ? discoveredOnly(machine) : machine;
  }
}

/**
 * A device Defender discovered on the network but that runs no sensor, as recorded: no processor,
 * architecture or external IP, agent version 1.1500, untyped interfaces of unknown status.
 */
function discoveredOnly(machine: Machine): Machine {
  return {
    ...machine,
    osProcessor: null,
    osArchitecture: null,
    lastExternalIpAddress: null,
    agentVersion: '1.1500',
    managedBy: 'Unknown',
    ipAddresses: machine.ipAddresses
      .filter((a) => a.ipAddress !== '127.0.0.1' && a.ipAddress !== '::1')
      .map((a) => ({ ...a, type: null, operationalStatus: 'Unknown' })),
  };
}
