import { describe, expect, it } from 'vitest';
import {
  SimulatedTenant,
  type DirectoryObject,
  type TenantOptions,
} from '../../src/emulator/tenant/index.js';
import { TEST_TENANT_SIZES } from '../support/emulator.js';

const SMALL: TenantOptions = TEST_TENANT_SIZES;

/** Features must not depend on a lucky seed. */
const SEEDS = Array.from({ length: 12 }, (_, i) => i * 7 + 1);

/** Property names seen in real recorded responses (reference/recorded-shapes.json). */
const RECORDED = {
  organization: [
    'assignedPlans',
    'businessPhones',
    'city',
    'country',
    'countryLetterCode',
    'createdDateTime',
    'defaultUsageLocation',
    'deletedDateTime',
    'directorySizeQuota',
    'displayName',
    'id',
    'isMultipleDataLocationsForServicesEnabled',
    'marketingNotificationEmails',
    'onPremisesLastSyncDateTime',
    'onPremisesSyncEnabled',
    'onPremisesSyncStatus',
    'partnerTenantType',
    'postalCode',
    'preferredLanguage',
    'privacyProfile',
    'provisionedPlans',
    'securityComplianceNotificationMails',
    'securityComplianceNotificationPhones',
    'state',
    'street',
    'technicalNotificationMails',
    'tenantType',
    'verifiedDomains',
  ],
  machine: [
    'aadDeviceId',
    'agentVersion',
    'computerDnsName',
    'defenderAvStatus',
    'deviceValue',
    'exclusionReason',
    'exposureLevel',
    'firstSeen',
    'healthStatus',
    'id',
    'ipAddresses',
    'isAadJoined',
    'isExcluded',
    'isPotentialDuplication',
    'lastExternalIpAddress',
    'lastIpAddress',
    'lastSeen',
    'machineTags',
    'managedBy',
    'managedByStatus',
    'mergedIntoMachineId',
    'onboardingStatus',
    'osArchitecture',
    'osBuild',
    'osPlatform',
    'osProcessor',
    'rbacGroupId',
    'rbacGroupName',
    'riskScore',
    'version',
    'vmMetadata',
    'osVersion',
  ],
  machineVulnerability: [
    '@odata.type',
    'cveSupportability',
    'cvssV3',
    'cvssVector',
    'description',
    'exploitInKit',
    'exploitTypes',
    'exploitUris',
    'exploitVerified',
    'exposedMachines',
    'firstDetected',
    'id',
    'name',
    'publicExploit',
    'publishedOn',
    'severity',
    'updatedOn',
  ],
  /** In the recorded order: Graph sends `id` last when there is no `$select`. */
  user: [
    'businessPhones',
    'displayName',
    'givenName',
    'jobTitle',
    'mail',
    'mobilePhone',
    'officeLocation',
    'preferredLanguage',
    'surname',
    'userPrincipalName',
    'id',
  ],
  logonUser: [
    'id',
    'accountName',
    'accountDomain',
    'accountSid',
    'firstSeen',
    'lastSeen',
    'mostPrevalentMachineId',
    'leastPrevalentMachineId',
    'logonTypes',
    'logOnMachinesCount',
    'isDomainAdmin',
    'isOnlyNetworkUser',
  ],
  row: [
    'id',
    'cveId',
    'machineId',
    'fixingKbId',
    'productName',
    'productVendor',
    'productVersion',
    'severity',
  ],
};

/** Everything the tenant serves, as plain data. */
function snapshot(t: SimulatedTenant) {
  const groups = [...t.groups];
  const machines = [...t.machines];
  return {
    organization: t.organization(),
    users: [...t.users],
    groups,
    devices: [...t.devices],
    machines,
    vulnerabilities: [...t.vulnerabilities],
    members: groups.map((g) => t.groupMembers(g.id)),
    transitiveMembers: groups.map((g) => t.groupTransitiveMembers(g.id)),
    logonUsers: machines.map((m) => t.machineLogonUsers(m.id)),
    machineVulnerabilities: machines.map((m) => t.machineVulnerabilities(m.id)),
    rows: [...t.machineVulnerabilityRows()],
    truth: t.truth(),
  };
}

function expectProperties(object: object, names: string[]): void {
  expect(Object.keys(object)).toEqual(expect.arrayContaining(names));
}

const upnLocal = (upn: string): string => (upn.split('@')[0] as string).toLowerCase();

describe('SimulatedTenant: determinism', () => {
  it('produces byte-identical data for the same seed and different data for another seed', () => {
    const a = JSON.stringify(snapshot(new SimulatedTenant(SMALL)));
    const b = JSON.stringify(snapshot(new SimulatedTenant(SMALL)));
    const c = JSON.stringify(snapshot(new SimulatedTenant({ ...SMALL, seed: 8 })));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a.length).toBeGreaterThan(50_000);
  });

  it('applies the same churn for the same seed', () => {
    const a = new SimulatedTenant(SMALL);
    const b = new SimulatedTenant(SMALL);
    const reportsA = [a.advance(), a.advance()];
    const reportsB = [b.advance(), b.advance()];
    expect(reportsA).toEqual(reportsB);
    expect(JSON.stringify(snapshot(a))).toBe(JSON.stringify(snapshot(b)));
  });

  it('takes timestamps from the `now` option, not the wall clock', () => {
    const now = Date.UTC(2026, 10, 29);
    const t = new SimulatedTenant({ ...SMALL, now });
    const active = [...t.machines].filter((m) => m.healthStatus === 'Active');
    expect(active.length).toBeGreaterThan(0);
    for (const m of active) {
      expect(Date.parse(m.lastSeen)).toBeLessThanOrEqual(now);
      expect(Date.parse(m.lastSeen)).toBeGreaterThan(now - 30 * 86_400_000);
    }
  });

  it('rejects invalid sizes with the option named', () => {
    expect(() => new SimulatedTenant({ ...SMALL, machines: -1 })).toThrow(/machines/);
    expect(() => new SimulatedTenant({ ...SMALL, users: 1.5 })).toThrow(/users/);
    expect(() => new SimulatedTenant({ ...SMALL, now: Number.NaN })).toThrow(/now must be a time/);
  });
});

describe('SimulatedTenant: shapes', () => {
  const t = new SimulatedTenant(SMALL);

  it('carries every property the recorded real responses carry', () => {
    expectProperties(t.organization(), RECORDED.organization);
    for (const user of t.users) expectProperties(user, RECORDED.user);
    for (const machine of t.machines) {
      expectProperties(machine, RECORDED.machine);
      for (const v of t.machineVulnerabilities(machine.id) ?? [])
        expectProperties(v, RECORDED.machineVulnerability);
      for (const l of t.machineLogonUsers(machine.id) ?? [])
        expect(Object.keys(l)).toEqual(RECORDED.logonUser);
    }
    for (const row of t.machineVulnerabilityRows()) expect(Object.keys(row)).toEqual(RECORDED.row);
  });

  it('keeps Graph default user properties in the recorded order and ids in the documented formats', () => {
    const user = t.users.at(0) as Record<string, unknown>;
    expect(Object.keys(user).slice(0, RECORDED.user.length)).toEqual(RECORDED.user);
    for (const u of t.users)
      expect(u.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const m of t.machines) expect(m.id).toMatch(/^[0-9a-f]{40}$/);
    for (const v of t.vulnerabilities) expect(v.id).toMatch(/^CVE-20\d\d-\d{5}$/);
  });

  it("derives groups' securityIdentifier from the object GUID as Entra does", () => {
    for (const g of t.groups) {
      const hex = g.id.replace(/-/g, '');
      expect(g.securityIdentifier.startsWith(`S-1-12-1-${parseInt(hex.slice(0, 8), 16)}-`)).toBe(
        true,
      );
    }
  });
});

describe.each(SEEDS)('SimulatedTenant: data features (seed %i)', (seed) => {
  const t = new SimulatedTenant({ ...SMALL, seed });
  const users = [...t.users];
  const machines = [...t.machines];
  const logons = machines.flatMap((m) => t.machineLogonUsers(m.id) ?? []);

  it('has disabled, guest, mail-less and employee-numbered users', () => {
    expect(users.some((u) => u.accountEnabled === false)).toBe(true);
    const guests = users.filter((u) => u.userType === 'Guest');
    expect(guests.length).toBeGreaterThan(0);
    for (const g of guests) expect(g.userPrincipalName).toContain('#EXT#@');
    expect(users.some((u) => u.mail === null)).toBe(true);
    expect(users.some((u) => typeof u.employeeId === 'string')).toBe(true);
    expect(users.some((u) => u.employeeId === null)).toBe(true);
  });

  it('has hybrid users whose on-premises SID and sAMAccountName match logon users', () => {
    const hybrid = users.filter((u) => u.onPremisesSecurityIdentifier !== null);
    const matched = logons.filter((l) =>
      hybrid.some(
        (u) =>
          u.onPremisesSecurityIdentifier === l.accountSid &&
          u.onPremisesSamAccountName === l.accountName,
      ),
    );
    expect(matched.length).toBeGreaterThan(0);
    const domains = new Set(matched.map((l) => l.accountDomain));
    expect(domains.size).toBe(1);
    // The NetBIOS domain is the first label of the users' on-premises DNS domain.
    const netbios = [...domains][0] as string;
    expect(netbios).toMatch(/^[A-Z]+$/);
    for (const u of hybrid)
      expect(String(u.onPremisesDomainName).split('.')[0]?.toUpperCase()).toBe(netbios);
    // Some logons carry no SID, as real captures often do: only sAMAccountName + domain match them
    // (to a hybrid user, or, for employees not synced to Entra, to the roster).
    const onPremisesOnly = new Set(t.roster().map((r) => r.samAccountName));
    const sidless = logons.filter((l) => l.accountDomain === netbios && l.accountSid === null);
    expect(sidless.length).toBeGreaterThan(0);
    for (const l of sidless)
      expect(
        hybrid.some((u) => u.onPremisesSamAccountName === l.accountName) ||
          onPremisesOnly.has(l.accountName),
      ).toBe(true);
  });

  it('has cloud-only users matched only by UPN (AzureAD logons)', () => {
    const cloud = users.filter((u) => u.userType === 'Member' && u.onPremisesSyncEnabled === null);
    const azureAd = logons.filter((l) => l.accountDomain === 'AzureAD');
    expect(azureAd.length).toBeGreaterThan(0);
    for (const l of azureAd) {
      expect(cloud.some((u) => upnLocal(u.userPrincipalName) === l.accountName)).toBe(true);
    }
  });

  it('has local and service accounts that match no directory user', () => {
    const names = new Set(
      users.flatMap((u) => [u.onPremisesSamAccountName, upnLocal(u.userPrincipalName)]),
    );
    const sids = new Set(users.map((u) => u.onPremisesSecurityIdentifier));
    const unmatched = logons.filter((l) => !names.has(l.accountName) && !sids.has(l.accountSid));
    expect(unmatched.some((l) => l.accountName.startsWith('svc_'))).toBe(true);
    expect(
      unmatched.some((l) =>
        machines.some((m) => m.computerDnsName?.split('.')[0]?.toUpperCase() === l.accountDomain),
      ),
    ).toBe(true);
  });

  it('has logon users with first/last seen, logon types and admin flags', () => {
    for (const l of logons) {
      expect(Date.parse(l.firstSeen)).toBeLessThanOrEqual(Date.parse(l.lastSeen));
      expect(l.id).toBe(`${l.accountDomain}\\${l.accountName}`);
      expect(l.logonTypes).toMatch(/^[A-Za-z]+(, [A-Za-z]+)*$/);
    }
    expect(logons.some((l) => l.isDomainAdmin)).toBe(true);
    expect(logons.some((l) => l.isOnlyNetworkUser === true)).toBe(true);
    expect(logons.some((l) => l.logonTypes.includes(', '))).toBe(true);
  });

  it('has nested groups and device, service principal and org contact members', () => {
    const members = [...t.groups].map((g) => ({
      id: g.id,
      members: t.groupMembers(g.id) as DirectoryObject[],
    }));
    const types = new Set(members.flatMap((g) => g.members.map((m) => m['@odata.type'])));
    expect([...types].sort()).toEqual([
      '#microsoft.graph.device',
      '#microsoft.graph.group',
      '#microsoft.graph.orgContact',
      '#microsoft.graph.servicePrincipal',
      '#microsoft.graph.user',
    ]);
    const parent = members.find((g) =>
      g.members.some((m) => m['@odata.type'] === '#microsoft.graph.group'),
    );
    const child = parent?.members.find(
      (m) => m['@odata.type'] === '#microsoft.graph.group',
    ) as DirectoryObject;
    const transitive = new Set(t.groupTransitiveMembers(parent?.id as string)?.map((m) => m.id));
    for (const m of t.groupMembers(child.id) ?? []) expect(transitive.has(m.id)).toBe(true);
    for (const m of parent?.members ?? []) expect(transitive.has(m.id)).toBe(true);
    const userMember = members
      .flatMap((g) => g.members)
      .find((m) => m['@odata.type'] === '#microsoft.graph.user');
    expect(Object.keys(userMember as object).slice(0, 2)).toEqual(['@odata.type', 'id']);
    expect(t.groupMembers('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('has DNS-less, duplicate, merged, inactive and not-onboarded machines', () => {
    expect(machines.some((m) => m.computerDnsName === null)).toBe(true);
    const duplicate = machines.find((m) => m.isPotentialDuplication);
    expect(
      machines.filter((m) => m.computerDnsName === duplicate?.computerDnsName).length,
    ).toBeGreaterThan(1);
    const merged = machines.find((m) => m.mergedIntoMachineId !== null);
    expect(t.machines.byId(merged?.mergedIntoMachineId as string)).toBeDefined();
    const inactive = machines.filter((m) => m.healthStatus === 'Inactive');
    expect(inactive.length).toBeGreaterThan(0);
    for (const m of inactive)
      expect(Date.parse(m.lastSeen)).toBeLessThan(Date.parse('2026-10-01T00:00:00Z'));
    expect(machines.some((m) => m.onboardingStatus === 'CanBeOnboarded')).toBe(true);
  });

  it('has loopback, private and public addresses and every MAC format', () => {
    const addresses = machines.flatMap((m) => m.ipAddresses);
    expect(
      addresses.some(
        (a) =>
          a.ipAddress === '127.0.0.1' && a.macAddress === null && a.type === 'SoftwareLoopback',
      ),
    ).toBe(true);
    expect(
      addresses.some((a) => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a.ipAddress)),
    ).toBe(true);
    expect(
      machines.some(
        (m) =>
          m.lastExternalIpAddress !== null && !/^(10|127|192\.168)\./.test(m.lastExternalIpAddress),
      ),
    ).toBe(true);
    expect(addresses.some((a) => a.macAddress === '000000000000')).toBe(true);
    expect(
      addresses.some(
        (a) => /^[0-9A-F]{12}$/.test(a.macAddress ?? '') && a.macAddress !== '000000000000',
      ),
    ).toBe(true);
    expect(addresses.some((a) => /^[0-9A-F]{16}$/.test(a.macAddress ?? ''))).toBe(true);
  });

  it('links machines to Entra devices through aadDeviceId', () => {
    const deviceIds = new Set([...t.devices].map((d) => d.deviceId));
    const linked = machines.filter((m) => m.aadDeviceId !== null);
    expect(linked.length).toBeGreaterThan(0);
    for (const m of linked) expect(deviceIds.has(m.aadDeviceId as string)).toBe(true);
    expect(machines.some((m) => m.aadDeviceId === null)).toBe(true);
  });

  it('has CVEs shared by many machines with exposedMachines consistent with the pairs', () => {
    const pairs = t.truth().machineCvePairs ?? [];
    const perCve = new Map<string, number>();
    for (const p of pairs) perCve.set(p.cveId, (perCve.get(p.cveId) ?? 0) + 1);
    const vulns = [...t.vulnerabilities];
    expect(vulns.length).toBe(perCve.size);
    for (const v of vulns) expect(v.exposedMachines).toBe(perCve.get(v.id));
    expect(Math.max(...vulns.map((v) => v.exposedMachines))).toBeGreaterThanOrEqual(
      machines.length / 4,
    );
    const severity = (s: number) =>
      s >= 9 ? 'Critical' : s >= 7 ? 'High' : s >= 4 ? 'Medium' : 'Low';
    for (const v of vulns) expect(v.severity).toBe(severity(v.cvssV3));
    expect(
      vulns.some((v) => v.publicExploit && v.exploitTypes.length > 0 && v.exploitUris.length > 0),
    ).toBe(true);
    expect(vulns.some((v) => !v.publicExploit)).toBe(true);
  });

  it('exports bulk rows that cover exactly the machine × CVE pairs, some with several products', () => {
    const rows = [...t.machineVulnerabilityRows()];
    const pairs = new Set(
      (t.truth().machineCvePairs ?? []).map((p) => `${p.machineId}|${p.cveId}`),
    );
    expect(new Set(rows.map((r) => `${r.machineId}|${r.cveId}`))).toEqual(pairs);
    expect(rows.length).toBeGreaterThan(pairs.size);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const r of rows) {
      expect(r.id).toBe(
        [
          r.machineId,
          r.cveId,
          r.productVendor,
          r.productName,
          r.productVersion,
          r.fixingKbId ?? '',
        ].join('-_-'),
      );
    }
  });
});

describe('SimulatedTenant: collections and truth', () => {
  const t = new SimulatedTenant(SMALL);
  t.advance();

  it('agree between at(), byId(), iteration and count()', () => {
    for (const collection of [
      t.users,
      t.groups,
      t.devices,
      t.machines,
      t.vulnerabilities,
      t.machineVulnerabilityRows(),
    ]) {
      const items = [...collection];
      expect(collection.count()).toBe(items.length);
      items.forEach((item, i) => {
        expect(collection.at(i)).toEqual(item);
        expect(collection.byId(item.id)).toEqual(item);
      });
      expect(collection.at(items.length)).toBeUndefined();
      expect(collection.at(-1)).toBeUndefined();
      expect(collection.byId('not-an-id')).toBeUndefined();
    }
    expect(t.machines.byId((t.machines.at(0) as { id: string }).id.toUpperCase())).toEqual(
      t.machines.at(0),
    );
  });

  it('counts exactly what iterating the collections finds', () => {
    const truth = t.truth();
    const groups = [...t.groups];
    const machines = [...t.machines];
    const logons = machines.flatMap((m) =>
      (t.machineLogonUsers(m.id) ?? []).map((l) => ({ m: m.id, l })),
    );
    const memberships = groups.flatMap((g) =>
      (t.groupMembers(g.id) ?? []).map((m) => ({ g: g.id, m })),
    );
    expect(truth.counts).toEqual({
      users: [...t.users].length,
      groups: groups.length,
      memberships: memberships.length,
      machines: machines.length,
      devices: [...t.devices].length,
      logonUsers: new Set(logons.map(({ l }) => l.id.toLowerCase())).size,
      machineLogonUserPairs: logons.length,
      cves: [...t.vulnerabilities].length,
      machineCvePairs: machines.reduce(
        (n, m) => n + (t.machineVulnerabilities(m.id)?.length ?? 0),
        0,
      ),
    });
    expect(truth.users).toEqual([...t.users].map((u) => u.id));
    expect(truth.machines).toEqual(machines.map((m) => m.id));
    expect(truth.memberships).toEqual(
      memberships.map(({ g, m }) => ({
        groupId: g,
        memberId: m.id,
        memberType: m['@odata.type'].slice('#microsoft.graph.'.length),
      })),
    );
    expect(truth.machineLogonUserPairs).toEqual(
      logons.map(({ m, l }) => ({
        machineId: m,
        domain: l.accountDomain,
        accountName: l.accountName,
        ...(l.accountSid ? { accountSid: l.accountSid } : {}),
      })),
    );
    const lean = t.truth({ lists: false });
    expect(lean.counts).toEqual(truth.counts);
    expect(lean.users).toBeUndefined();
    expect(lean.machineCvePairs).toBeUndefined();
  });
});
