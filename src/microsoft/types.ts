/** The Microsoft objects the collector reads: only the fields it uses, as they arrive on the wire. */

export interface GraphOrganization {
  id: string;
  displayName?: string | null;
  tenantType?: string | null;
  countryLetterCode?: string | null;
  createdDateTime?: string | null;
  verifiedDomains?: { name: string; isDefault?: boolean; isInitial?: boolean; type?: string }[];
}

export interface GraphUser {
  id: string;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  mail?: string | null;
  otherMails?: string[] | null;
  userPrincipalName?: string | null;
  accountEnabled?: boolean | null;
  userType?: string | null;
  employeeId?: string | null;
  employeeType?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  createdDateTime?: string | null;
  onPremisesSecurityIdentifier?: string | null;
  onPremisesSamAccountName?: string | null;
  onPremisesDomainName?: string | null;
  onPremisesUserPrincipalName?: string | null;
}

export interface GraphGroup {
  id: string;
  displayName?: string | null;
  description?: string | null;
  mail?: string | null;
  mailEnabled?: boolean | null;
  securityEnabled?: boolean | null;
  groupTypes?: string[] | null;
  createdDateTime?: string | null;
  onPremisesSyncEnabled?: boolean | null;
  onPremisesSecurityIdentifier?: string | null;
  securityIdentifier?: string | null;
  visibility?: string | null;
}

export interface GraphDirectoryObject {
  '@odata.type': string;
  id: string;
}

/** Graph's mark on a delta item that left (graph-api.md §5.6). */
export interface DeltaRemoved {
  '@removed'?: { reason?: string };
}

/** A `/users/delta` item: the user's selected properties, or only its id when `@removed`. */
export type GraphUserDelta = GraphUser & DeltaRemoved;

/** A `/groups/delta` item; `members@delta` lists members that joined, or left (`@removed`). */
export type GraphGroupDelta = GraphGroup &
  DeltaRemoved & { 'members@delta'?: (GraphDirectoryObject & DeltaRemoved)[] };

export interface DefenderMachine {
  id: string;
  computerDnsName?: string | null;
  firstSeen?: string | null;
  lastSeen?: string | null;
  osPlatform?: string | null;
  osVersion?: string | null;
  osProcessor?: string | null;
  version?: string | null;
  osBuild?: number | null;
  osArchitecture?: string | null;
  lastIpAddress?: string | null;
  lastExternalIpAddress?: string | null;
  agentVersion?: string | null;
  healthStatus?: string | null;
  deviceValue?: string | null;
  rbacGroupId?: number | string | null;
  rbacGroupName?: string | null;
  riskScore?: string | null;
  exposureLevel?: string | null;
  isAadJoined?: boolean | null;
  aadDeviceId?: string | null;
  machineTags?: string[] | null;
  defenderAvStatus?: string | null;
  onboardingStatus?: string | null;
  managedBy?: string | null;
  isExcluded?: boolean | null;
  ipAddresses?:
    | {
        ipAddress?: string | null;
        macAddress?: string | null;
        type?: string | null;
        operationalStatus?: string | null;
      }[]
    | null;
  vmMetadata?: {
    vmId?: string | null;
    cloudProvider?: string | null;
    resourceId?: string | null;
    subscriptionId?: string | null;
  } | null;
}

export interface DefenderLogonUser {
  id: string;
  accountName: string;
  accountDomain: string;
  accountSid?: string | null;
  firstSeen?: string | null;
  lastSeen?: string | null;
  logonTypes?: string | null;
  isDomainAdmin?: boolean | null;
  isOnlyNetworkUser?: boolean | null;
  logOnMachinesCount?: number | null;
}

/** An Advanced Hunting answer (defender-api.md §4.12): column schema and rows keyed by column. */
export interface AdvancedHuntingResult<Row> {
  Schema?: { Name: string; Type: string }[];
  Results: Row[];
}

export interface DefenderVulnerability {
  id: string;
  name?: string | null;
  description?: string | null;
  severity?: string | null;
  cvssV3?: number | null;
  cvssVector?: string | null;
  exposedMachines?: number | null;
  publishedOn?: string | null;
  updatedOn?: string | null;
  firstDetected?: string | null;
  publicExploit?: boolean | null;
  exploitVerified?: boolean | null;
  exploitInKit?: boolean | null;
  exploitTypes?: string[] | null;
  exploitUris?: string[] | null;
  cveSupportability?: string | null;
  epss?: number | null;
}

export interface DefenderMachineVulnerabilityRow {
  id: string;
  cveId: string;
  machineId: string;
  fixingKbId?: string | null;
  productName?: string | null;
  productVendor?: string | null;
  productVersion?: string | null;
  severity?: string | null;
}
