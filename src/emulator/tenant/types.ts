/** Shapes of the simulated tenant's objects (as the real APIs return them before `$select`) and its reports. */
import type { HostileValues } from './hostile-values.js';

export interface TenantSizes {
  users: number;
  groups: number;
  machines: number;
  cves: number;
  logonUsersPerMachine: number;
  vulnerabilitiesPerMachine: number;
}

export interface TenantOptions extends TenantSizes {
  seed: number;
  /** "Now" for generated timestamps (ms); defaults to a fixed date so data is deterministic. */
  now?: number;
  /** Hostile string values (and optionally deep nesting) in some users' fields; off by default. */
  hostileValues?: HostileValues;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface GraphUser {
  businessPhones: string[];
  displayName: string;
  givenName: string | null;
  jobTitle: string | null;
  mail: string | null;
  mobilePhone: string | null;
  officeLocation: string | null;
  preferredLanguage: string | null;
  surname: string | null;
  userPrincipalName: string;
  id: string;
  accountEnabled: boolean;
  department: string | null;
  userType: 'Member' | 'Guest';
  employeeId: string | null;
  onPremisesSecurityIdentifier: string | null;
  onPremisesSamAccountName: string | null;
  onPremisesSyncEnabled: boolean | null;
  [property: string]: Json;
}

export interface GraphGroup {
  id: string;
  displayName: string;
  groupTypes: string[];
  securityEnabled: boolean;
  mailEnabled: boolean;
  mail: string | null;
  securityIdentifier: string;
  [property: string]: Json;
}

export interface GraphDevice {
  id: string;
  deviceId: string;
  displayName: string;
  [property: string]: Json;
}

export type DirectoryObjectType = 'user' | 'group' | 'device' | 'servicePrincipal' | 'orgContact';

/** A member as `/groups/{id}/members` lists it: the member's default properties plus `@odata.type`. */
export interface DirectoryObject {
  '@odata.type': `#microsoft.graph.${DirectoryObjectType}`;
  id: string;
  [property: string]: Json;
}

export interface Organization {
  id: string;
  displayName: string;
  verifiedDomains: {
    capabilities: string;
    isDefault: boolean;
    isInitial: boolean;
    name: string;
    type: string;
  }[];
  [property: string]: Json;
}

export interface IpAddress {
  ipAddress: string;
  macAddress: string | null;
  type: 'Ethernet' | 'SoftwareLoopback' | 'Tunnel' | 'Other' | null;
  operationalStatus: 'Up' | 'Down' | 'Unknown';
}

export interface Machine {
  id: string;
  mergedIntoMachineId: string | null;
  isPotentialDuplication: boolean;
  isExcluded: boolean;
  exclusionReason: string | null;
  computerDnsName: string | null;
  firstSeen: string;
  lastSeen: string;
  osPlatform: string;
  osVersion: string | null;
  osProcessor: string | null;
  version: string | null;
  lastIpAddress: string;
  lastExternalIpAddress: string | null;
  agentVersion: string;
  osBuild: number | null;
  healthStatus: string;
  deviceValue: string | null;
  rbacGroupId: number;
  rbacGroupName: string | null;
  riskScore: string | null;
  exposureLevel: string | null;
  isAadJoined: boolean | null;
  aadDeviceId: string | null;
  machineTags: string[];
  defenderAvStatus: string;
  onboardingStatus: string;
  osArchitecture: string | null;
  managedBy: string;
  managedByStatus: string;
  ipAddresses: IpAddress[];
  vmMetadata: {
    vmId: string;
    cloudProvider: string;
    resourceId: string;
    subscriptionId: string | null;
  } | null;
}

export interface LogonUser {
  id: string;
  accountName: string;
  accountDomain: string;
  accountSid: string | null;
  firstSeen: string;
  lastSeen: string;
  mostPrevalentMachineId: string | null;
  leastPrevalentMachineId: string | null;
  logonTypes: string;
  logOnMachinesCount: number | null;
  isDomainAdmin: boolean;
  isOnlyNetworkUser: boolean | null;
}

export interface Vulnerability {
  id: string;
  name: string;
  description: string;
  severity: 'Low' | 'Medium' | 'High' | 'Critical';
  cvssV3: number;
  cvssVector: string;
  exposedMachines: number;
  publishedOn: string;
  updatedOn: string;
  firstDetected: string;
  publicExploit: boolean;
  exploitVerified: boolean;
  exploitInKit: boolean;
  exploitTypes: string[];
  exploitUris: string[];
  cveSupportability: string;
}

/** Per-machine listing item: the same DTO with its `@odata.type` first. */
export type MachineVulnerability = { '@odata.type': string } & Vulnerability;

export interface MachineVulnerabilityRow {
  id: string;
  cveId: string;
  machineId: string;
  fixingKbId: string | null;
  productName: string;
  productVendor: string;
  productVersion: string;
  severity: string;
}

export interface Membership {
  groupId: string;
  memberId: string;
  memberType: DirectoryObjectType;
}

export interface MachineLogonUserPair {
  machineId: string;
  domain: string;
  accountName: string;
  accountSid?: string;
}

export interface LogonUserLink {
  domain: string;
  accountName: string;
  userId: string;
}

export interface MachineCvePair {
  machineId: string;
  cveId: string;
}

import type { PeopleTruth } from './roster.js';

export interface GroundTruth {
  counts: {
    users: number;
    groups: number;
    memberships: number;
    machines: number;
    devices: number;
    /** Distinct DOMAIN\account over all machines (case-insensitive). */
    logonUsers: number;
    machineLogonUserPairs: number;
    cves: number;
    machineCvePairs: number;
  };
  users?: string[];
  groups?: string[];
  memberships?: Membership[];
  machines?: string[];
  machineLogonUserPairs?: MachineLogonUserPair[];
  machineCvePairs?: MachineCvePair[];
  /** Directory users whose account is disabled (`accountEnabled: false`). */
  disabledUsers?: string[];
  /**
   * Which directory user each logon user is, from how the tenant generated the logon (a hybrid
   * user's NETBIOS\sAMAccountName, a cloud user's AzureAD\UPN prefix): never from a matcher.
   */
  logonUserLinks?: LogonUserLink[];
  /** The roster's expected person ↔ account links and conflicts (`roster()` is the roster). */
  people?: PeopleTruth;
}

export interface LogonPair {
  machineId: string;
  domain: string;
  accountName: string;
}

export interface LogonAccount {
  domain: string;
  accountName: string;
}

/**
 * One round of churn. Every list is exactly the difference between the tenant before and after the
 * round (pairs of onboarded/offboarded machines included), so a fresh listing can be checked against it.
 */
export interface ChangeReport {
  round: number;
  users: { added: string[]; disabled: string[]; deleted: string[]; updated: string[] };
  groups: {
    membersAdded: { groupId: string; memberId: string }[];
    membersRemoved: { groupId: string; memberId: string }[];
  };
  machines: {
    onboarded: string[];
    offboarded: string[];
    updated: { id: string; fields: string[] }[];
  };
  vulnerabilities: {
    found: MachineCvePair[];
    remediated: MachineCvePair[];
    newCves: string[];
    removedCves: string[];
  };
  logons: {
    added: LogonPair[];
    /** Pairs gone with offboarded machines (additive to the shared contract). */
    removed: LogonPair[];
    newLogonUsers: LogonAccount[];
    /** Accounts no remaining machine has seen (additive to the shared contract). */
    removedLogonUsers: LogonAccount[];
  };
}
