import type { Entity, Relationship } from '../../graph/types.js';
import type { DefenderMachine } from '../../microsoft/types.js';
import { entityIdentity, sameNamed } from './entity.js';
import { ENTITIES } from '../declarations.js';
import { directRelationship, withoutUndefined } from '../relationships.js';
import { machineAddresses } from './network.js';
import { orNull, toEpochMs } from './values.js';

export function machineKey(machineId: string): string {
  return `${ENTITIES.MACHINE._type}:${machineId}`;
}

export function deviceKey(machineId: string): string {
  return `${ENTITIES.DEVICE._type}.${machineId}`;
}

const HOSTNAME = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9]$/;

/** The Defender sensor on a machine (HostAgent). */
export function createMachineEntity(machine: DefenderMachine): Entity {
  const addresses = machineAddresses(machine);
  return {
    ...withoutUndefined({
      id: machine.id,
      name: machine.computerDnsName ?? machine.id,
      displayName: machine.computerDnsName ?? machine.id,
      function: ['endpoint-protection', 'anti-malware', 'vulnerability-detection'],
      ...sameNamed(machine, [
        'computerDnsName',
        'osPlatform',
        'osVersion',
        'version',
        'osBuild',
        'osArchitecture',
        'agentVersion',
        'lastIpAddress',
        'lastExternalIpAddress',
      ]),
      ipAddress: addresses.ipAddress,
      macAddress: addresses.macAddress,
      healthStatus: machine.healthStatus ?? undefined,
      active: machine.healthStatus ? machine.healthStatus === 'Active' : undefined,
      ...sameNamed(machine, [
        'deviceValue',
        'riskScore',
        'exposureLevel',
        'isAadJoined',
        'aadDeviceId',
      ]),
      // Real tenants carry empty-string tags: they tag nothing.
      machineTags: machine.machineTags?.filter((tag) => tag.trim() !== ''),
      rbacGroupId:
        machine.rbacGroupId === null || machine.rbacGroupId === undefined
          ? undefined
          : String(machine.rbacGroupId),
      ...sameNamed(machine, [
        'rbacGroupName',
        'onboardingStatus',
        'managedBy',
        'defenderAvStatus',
        'isExcluded',
      ]),
      firstSeenOn: toEpochMs(machine.firstSeen),
      lastSeenOn: orNull(toEpochMs(machine.lastSeen)),
      vmId: machine.vmMetadata?.vmId ?? undefined,
      cloudProvider: machine.vmMetadata?.cloudProvider ?? undefined,
      vmResourceId: machine.vmMetadata?.resourceId ?? undefined,
      vmSubscriptionId: machine.vmMetadata?.subscriptionId ?? undefined,
      webLink: `https://security.microsoft.com/machines/${machine.id}`,
    }),
    ...entityIdentity(ENTITIES.MACHINE, machineKey(machine.id), machine),
  };
}

/** The endpoint the sensor runs on (Device), built from the same machine object: no extra call. */
export function createDeviceEntity(machine: DefenderMachine): Entity {
  const addresses = machineAddresses(machine);
  const dnsName = machine.computerDnsName ?? undefined;
  const shortName = dnsName?.split('.')[0];
  return {
    ...withoutUndefined({
      id: machine.id,
      name: dnsName ?? machine.id,
      displayName: dnsName ?? machine.id,
      category: 'endpoint',
      hostname: shortName && HOSTNAME.test(shortName) ? shortName : null,
      fqdn: dnsName?.includes('.') ? [dnsName] : null,
      ipAddress: addresses.ipAddress,
      macAddress: addresses.macAddress,
      ipv4Addresses: addresses.ipv4Addresses,
      ipv6Addresses: addresses.ipv6Addresses,
      privateIpAddresses: addresses.privateIpAddresses,
      publicIpAddresses: addresses.publicIpAddresses,
      macAddresses: addresses.macAddresses,
      serial: null,
      deviceId: [machine.id],
      make: null,
      model: null,
      osName: orNull(machine.osPlatform),
      osType: osType(machine.osPlatform),
      osDetails: machine.osPlatform
        ? [machine.osPlatform, machine.version].filter(Boolean).join(' ')
        : null,
      osVersion: orNull(machine.version),
      aadDeviceId: machine.aadDeviceId ?? undefined,
      lastSeenOn: orNull(toEpochMs(machine.lastSeen)),
      firstSeenOn: toEpochMs(machine.firstSeen),
    }),
    ...entityIdentity(ENTITIES.DEVICE, deviceKey(machine.id)),
  };
}

export function osType(platform: string | null | undefined): string | null {
  if (!platform) return null;
  const p = platform.toLowerCase();
  if (p.startsWith('windows')) return 'windows';
  if (/(linux|ubuntu|debian|redhat|rhel|centos|suse|oracle|fedora|amazon)/.test(p)) return 'linux';
  if (p.startsWith('mac')) return 'darwin';
  if (p === 'ios') return 'ios';
  if (p === 'android') return 'android';
  return 'other';
}

export function createMachineRelationships(
  account: Pick<Entity, '_key' | '_type'>,
  machine: Entity,
  device: Entity,
): Relationship[] {
  return [
    directRelationship('HAS', account, machine),
    directRelationship('MANAGES', machine, device),
  ];
}
