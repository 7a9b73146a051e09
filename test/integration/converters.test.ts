import { describe, expect, it } from 'vitest';
import type { Entity, MappedRelationship, Relationship } from '../../src/graph/types.js';
import { createAccountEntity } from '../../src/integration/converters/account.js';
import {
  createGroupEntity,
  createGroupMemberRelationship,
} from '../../src/integration/converters/group.js';
import {
  createLogonUserEntity,
  createMachineLogonUserRelationship,
} from '../../src/integration/converters/logon-user.js';
import {
  DirectoryUserIndex,
  directoryUserIdentity,
  logonUserIdentity,
} from '../../src/integration/converters/logon-user-match.js';
import {
  createDeviceEntity,
  createMachineEntity,
} from '../../src/integration/converters/machine.js';
import { normaliseMac } from '../../src/integration/converters/network.js';
import { createUserEntity } from '../../src/integration/converters/user.js';
import {
  createMachineVulnerabilityRelationship,
  createVulnerabilityCveRelationship,
  createVulnerabilityEntity,
} from '../../src/integration/converters/vulnerability.js';
import { relationshipType } from '../../src/integration/relationships.js';
import type {
  DefenderLogonUser,
  DefenderMachine,
  DefenderMachineVulnerabilityRow,
  GraphUser,
} from '../../src/microsoft/types.js';
import { dataModelErrors } from './data-model.js';

const machine: DefenderMachine = {
  id: '556b3952acb0bff29816d267822305781cc183ec',
  computerDnsName: 'se-pov-desktop.contoso.com',
  firstSeen: '2023-04-19T13:27:53.1618923Z',
  lastSeen: '2023-05-04T17:40:05.684607Z',
  osPlatform: 'Windows10',
  osVersion: null,
  version: '21H2',
  lastIpAddress: '172.20.10.4',
  lastExternalIpAddress: '174.209.205.235',
  healthStatus: 'Active',
  rbacGroupId: 0,
  rbacGroupName: null,
  riskScore: 'Medium',
  exposureLevel: 'High',
  isAadJoined: true,
  aadDeviceId: null,
  machineTags: [],
  onboardingStatus: 'Onboarded',
  ipAddresses: [
    {
      ipAddress: '172.20.10.4',
      macAddress: '000C2992A64D',
      type: 'Ethernet',
      operationalStatus: 'Up',
    },
    { ipAddress: '127.0.0.1', macAddress: null, type: 'SoftwareLoopback', operationalStatus: 'Up' },
    { ipAddress: 'fe80::1', macAddress: '000000000000', type: 'Tunnel', operationalStatus: 'Up' },
  ],
  vmMetadata: null,
};

const user: GraphUser = {
  id: 'eaca2822-0000-0000-0000-000000000001',
  displayName: 'Adele Vance',
  givenName: 'Adele',
  surname: 'Vance',
  mail: 'Adele.Vance@Contoso.com',
  otherMails: ['adele@personal.example'],
  userPrincipalName: 'AdeleV@contoso.onmicrosoft.com',
  accountEnabled: false,
  userType: 'Member',
  employeeId: 'E123',
  onPremisesSecurityIdentifier: 'S-1-5-21-1-2-3-1001',
  onPremisesSamAccountName: 'adelev',
  onPremisesDomainName: 'corp.contoso.com',
};

const logonUser: DefenderLogonUser = {
  id: 'CORP\\AdeleV',
  accountName: 'AdeleV',
  accountDomain: 'CORP',
  accountSid: null,
  firstSeen: '2023-04-26T15:03:14Z',
  lastSeen: '2023-04-27T15:03:14Z',
  logonTypes: 'Network, RemoteInteractive',
  isDomainAdmin: true,
  isOnlyNetworkUser: null,
};

function expectValid(entity: Entity): void {
  expect(dataModelErrors(entity)).toEqual([]);
  expect(entity._key.length).toBeGreaterThanOrEqual(10);
}

describe('converters', () => {
  it('account: keyed by tenant id, valid Account', () => {
    const account = createAccountEntity(
      {
        id: '19ae0f99-aaaa-bbbb-cccc-000000000000',
        displayName: 'Contoso',
        verifiedDomains: [
          { name: 'contoso.onmicrosoft.com', isDefault: false, isInitial: true },
          { name: 'contoso.com', isDefault: true },
        ],
      },
      'Contoso prod',
    );
    expect(account._key).toBe('microsoft_defender_account:19ae0f99-aaaa-bbbb-cccc-000000000000');
    expect(account.defaultDomain).toBe('contoso.com');
    expect(account.verifiedDomains).toEqual(['contoso.onmicrosoft.com', 'contoso.com']);
    expect(account.name).toBe('Contoso prod');
    expectValid(account);
  });

  it('user: real active flag, lower-cased email array, on-prem ids', () => {
    const entity = createUserEntity(user);
    expect(entity._key).toBe('microsoft_defender_user:eaca2822-0000-0000-0000-000000000001');
    expect(entity.active).toBe(false);
    expect(entity.email).toEqual([
      'adele.vance@contoso.com',
      'adele@personal.example',
      'adelev@contoso.onmicrosoft.com',
    ]);
    expect(entity.username).toEqual(['AdeleV@contoso.onmicrosoft.com']);
    expect(entity.userPrincipalName).toBe('AdeleV@contoso.onmicrosoft.com');
    expect(entity.userType).toBe('Member');
    expect(entity.employeeId).toBe('E123');
    expect(entity.onPremisesSecurityIdentifier).toBe('S-1-5-21-1-2-3-1001');
    expect(entity.onPremisesSamAccountName).toBe('adelev');
    expectValid(entity);
  });

  it('the data-model check itself rejects a pre-0.64 string email', () => {
    const entity = { ...createUserEntity(user), email: 'adele@contoso.com' };
    expect(dataModelErrors(entity).length).toBeGreaterThan(0);
  });

  it('user: a guest UPN is not an email; no mail gives email null', () => {
    const guest = createUserEntity({
      id: 'g1',
      userPrincipalName: 'alice_fabrikam.com#EXT#@contoso.onmicrosoft.com',
      accountEnabled: true,
      userType: 'Guest',
    });
    expect(guest.email).toBeNull();
    expect(guest.isGuest).toBe(true);
    expectValid(guest);
  });

  it('group: entity and member relationships for every member kind', () => {
    const group = createGroupEntity({
      id: 'g-1',
      displayName: 'Admins',
      securityEnabled: true,
      mail: null,
    });
    expectValid(group);
    const toUser = createGroupMemberRelationship(group, {
      '@odata.type': '#microsoft.graph.user',
      id: 'u1',
    }) as Relationship;
    expect(toUser._type).toBe('microsoft_defender_user_group_has_user');
    expect(toUser._toEntityKey).toBe('microsoft_defender_user:u1');
    const toGroup = createGroupMemberRelationship(group, {
      '@odata.type': '#microsoft.graph.group',
      id: 'g-2',
    }) as Relationship;
    expect(toGroup._type).toBe('microsoft_defender_user_group_has_group');
    expect(toGroup._key).toBe(
      'microsoft_defender_user_group:g-1|has|microsoft_defender_user_group:g-2',
    );
    const toDevice = createGroupMemberRelationship(group, {
      '@odata.type': '#microsoft.graph.device',
      id: 'd1',
    }) as MappedRelationship;
    expect(toDevice._mapping.targetEntity).toMatchObject({ _type: 'azure_device', _key: 'd1' });
    expect(toDevice._mapping.skipTargetCreation).toBe(true);
    expect(toDevice.memberType).toBe('device');
  });

  it('machine and device: normalised addresses, valid HostAgent and Device', () => {
    const agent = createMachineEntity(machine);
    const device = createDeviceEntity(machine);
    expect(agent._key).toBe(`microsoft_defender_machine:${machine.id}`);
    expect(device._key).toBe(`user_endpoint.${machine.id}`);
    expect(agent.ipAddress).toEqual(['172.20.10.4', '174.209.205.235', 'fe80::1']);
    expect(agent.macAddress).toEqual(['00:0C:29:92:A6:4D']);
    expect(device.macAddresses).toEqual(['00:0c:29:92:a6:4d']);
    expect(device.publicIpAddresses).toEqual(['174.209.205.235']);
    expect(device.hostname).toBe('se-pov-desktop');
    expect(device.osType).toBe('windows');
    expect(agent.lastSeenOn).toBe(Date.parse('2023-05-04T17:40:05.684607Z'));
    expect(agent.rbacGroupId).toBe('0');
    expect(agent.riskScore).toBe('Medium');
    expectValid(agent);
    expectValid(device);
  });

  it('normaliseMac drops all-zero and malformed addresses', () => {
    expect(normaliseMac('00-1a-2B-3c-4D-5e')).toBe('00:1A:2B:3C:4D:5E');
    expect(normaliseMac('000000000000')).toBeUndefined();
    expect(normaliseMac('abc')).toBeUndefined();
    expect(normaliseMac(null)).toBeUndefined();
  });

  it('logon user: one lower-cased key per DOMAIN\\account, pair details on the relationship', () => {
    const entity = createLogonUserEntity(logonUser);
    expect(entity._key).toBe('microsoft_defender_logon_user:corp\\adelev');
    expectValid(entity);
    const relationship = createMachineLogonUserRelationship(
      createMachineEntity(machine),
      logonUser,
    );
    expect(relationship._type).toBe('microsoft_defender_machine_has_logon_user');
    expect(relationship.logonTypes).toEqual(['Network', 'RemoteInteractive']);
    expect(relationship.firstSeenOn).toBe(Date.parse('2023-04-26T15:03:14Z'));
    expect(relationship.lastSeenOn).toBe(Date.parse('2023-04-27T15:03:14Z'));
    expect(relationship.isDomainAdmin).toBe(true);
  });

  it('vulnerability: one Finding per CVE, IS cve mapped, per-pair product details', () => {
    const finding = createVulnerabilityEntity({
      id: 'cve-2023-28322',
      name: 'CVE-2023-28322',
      severity: 'Low',
      cvssV3: 3.7,
      publicExploit: false,
      exploitVerified: true,
      exposedMachines: 4,
    });
    expect(finding._key).toBe('microsoft_defender_vulnerability:CVE-2023-28322');
    expect(finding.severity).toBe('low');
    expect(finding.score).toBe(3.7);
    expect(finding.exploitable).toBe(true);
    expectValid(finding);
    const isCve = createVulnerabilityCveRelationship(finding) as MappedRelationship;
    expect(isCve._type).toBe('microsoft_defender_vulnerability_is_cve');
    expect(isCve._mapping.targetEntity).toMatchObject({
      _type: 'cve',
      _class: ['Vulnerability'],
      _key: 'cve-2023-28322',
    });
    expect(isCve._mapping.targetFilterKeys).toEqual([['_type', '_key']]);

    const rows: DefenderMachineVulnerabilityRow[] = [
      {
        id: 'm1-_-CVE-2023-28322-_-b',
        cveId: 'CVE-2023-28322',
        machineId: 'm1',
        productName: 'curl',
        productVendor: 'haxx',
        productVersion: '8.0',
        fixingKbId: null,
        severity: 'Low',
      },
      {
        id: 'm1-_-CVE-2023-28322-_-a',
        cveId: 'CVE-2023-28322',
        machineId: 'm1',
        productName: 'libcurl',
        productVendor: 'haxx',
        productVersion: '7.9',
        fixingKbId: 'KB1',
        severity: 'Low',
      },
    ];
    const identified = createMachineVulnerabilityRelationship(rows) as Relationship;
    expect(identified._key).toBe(
      'microsoft_defender_machine:m1|identified|microsoft_defender_vulnerability:CVE-2023-28322',
    );
    expect(identified._type).toBe('microsoft_defender_machine_identified_vulnerability');
    expect(identified.productName).toBe('libcurl');
    expect(identified.products).toEqual(['haxx:libcurl:7.9', 'haxx:curl:8.0']);
    expect(identified.fixingKbIds).toEqual(['KB1']);
  });

  it('logon user IS user: SID, then sAMAccountName + domain, then a unique UPN prefix', () => {
    const index = new DirectoryUserIndex();
    index.add(directoryUserIdentity(createUserEntity(user)));
    index.add(
      directoryUserIdentity(
        createUserEntity({
          id: 'u2',
          userPrincipalName: 'bob@contoso.com',
          onPremisesSecurityIdentifier: 'S-1-5-21-9',
        }),
      ),
    );
    index.add(
      directoryUserIdentity(createUserEntity({ id: 'u3', userPrincipalName: 'sam@contoso.com' })),
    );
    index.add(
      directoryUserIdentity(createUserEntity({ id: 'u4', userPrincipalName: 'sam@fabrikam.com' })),
    );
    const match = (u: Partial<DefenderLogonUser>) =>
      index.match(
        logonUserIdentity(createLogonUserEntity({ ...logonUser, accountSid: null, ...u })),
      );
    expect(match({ accountSid: 's-1-5-21-9', accountName: 'whoever', accountDomain: 'X' })).toEqual(
      {
        userKey: 'microsoft_defender_user:u2',
        matchedOn: 'sid',
      },
    );
    expect(match({ accountName: 'ADELEV', accountDomain: 'corp' })).toEqual({
      userKey: 'microsoft_defender_user:eaca2822-0000-0000-0000-000000000001',
      matchedOn: 'samAccountName+domain',
    });
    expect(match({ accountName: 'bob', accountDomain: 'AzureAD' })).toEqual({
      userKey: 'microsoft_defender_user:u2',
      matchedOn: 'userPrincipalName',
    });
    expect(match({ accountName: 'sam', accountDomain: 'AzureAD' })).toBeUndefined();
    expect(match({ accountName: 'adelev', accountDomain: 'OTHER' })).toEqual({
      userKey: 'microsoft_defender_user:eaca2822-0000-0000-0000-000000000001',
      matchedOn: 'userPrincipalName',
    });
  });

  it('relationship types follow the J1 SDK rule', () => {
    expect(relationshipType('HAS', 'microsoft_defender_account', 'microsoft_defender_user')).toBe(
      'microsoft_defender_account_has_user',
    );
    expect(relationshipType('MANAGES', 'microsoft_defender_machine', 'user_endpoint')).toBe(
      'microsoft_defender_machine_manages_user_endpoint',
    );
    expect(relationshipType('IS', 'microsoft_defender_logon_user', 'microsoft_defender_user')).toBe(
      'microsoft_defender_logon_user_is_user',
    );
    expect(
      relationshipType('HAS', 'microsoft_defender_user_group', 'microsoft_defender_user_group'),
    ).toBe('microsoft_defender_user_group_has_group');
  });
});
