import { isIP } from 'node:net';
import type { DefenderMachine } from '../../microsoft/types.js';
import { distinct } from './values.js';

/** A machine's addresses, normalised the way the reference integration does for correlation. */
export interface MachineAddresses {
  /** Distinct IPs (last seen, external, every interface) without loopback/unspecified. */
  ipAddress: string[];
  ipv4Addresses: string[];
  ipv6Addresses: string[];
  privateIpAddresses: string[];
  publicIpAddresses: string[];
  /** Upper-case `AA:BB:CC:DD:EE:FF`, all-zero and loopback interfaces dropped (J1 global rules match on it). */
  macAddress: string[];
  /** The data model's form: lower-case `aa:bb:…`. */
  macAddresses: string[];
}

export function machineAddresses(machine: DefenderMachine): MachineAddresses {
  const interfaces = machine.ipAddresses ?? [];
  const ips = distinct(
    [
      machine.lastIpAddress,
      machine.lastExternalIpAddress,
      ...interfaces.map((i) => i.ipAddress),
    ].filter(
      (ip): ip is string =>
        typeof ip === 'string' && isIP(ip) !== 0 && !isLoopbackOrUnspecified(ip),
    ),
  );
  const macs = distinct(
    interfaces
      .filter((i) => i.type !== 'SoftwareLoopback')
      .map((i) => normaliseMac(i.macAddress))
      .filter((mac): mac is string => mac !== undefined),
  );
  return {
    ipAddress: ips,
    ipv4Addresses: ips.filter((ip) => isIP(ip) === 4),
    ipv6Addresses: ips.filter((ip) => isIP(ip) === 6),
    privateIpAddresses: ips.filter(isPrivate),
    publicIpAddresses: ips.filter((ip) => !isPrivate(ip)),
    macAddress: macs,
    macAddresses: macs.map((m) => m.toLowerCase()),
  };
}

export function normaliseMac(raw: string | null | undefined): string | undefined {
  const hex = raw?.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  if (!hex || hex.length !== 12 || /^0+$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

function isLoopbackOrUnspecified(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip === '0.0.0.0' || ip === '::';
}

function isPrivate(ip: string): boolean {
  if (isIP(ip) === 6) return /^(fe80|fc|fd)/i.test(ip);
  const [a = 0, b = 0] = ip.split('.').map(Number);
  return (
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254)
  );
}
