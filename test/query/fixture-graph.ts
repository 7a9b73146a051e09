import type { Entity, IntegrationRunResult, Relationship } from '../../src/graph/types.js';
import type { GraphStore } from '../../src/store/index.js';

/**
 * A small Defender graph with the shapes the semantics hinge on: arrays (email, ipAddress),
 * missing properties, nested groups, a user in no group, a logon user with no directory user,
 * a CVE on several machines, a deleted user, dotted property names.
 */
export const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
/** A property name and value that would break SQL built by concatenation (on machine m2). */
export const HOSTILE_NAME = `we"ird.na'me\\$.x[0 --`;
export const HOSTILE_VALUE = `'; DROP TABLE entities; -- " OR 1=1 $1 ? \\ %_`;
const DAY = 86_400_000;

const TYPES = {
  account: 'microsoft_defender_account',
  user: 'microsoft_defender_user',
  group: 'microsoft_defender_user_group',
  machine: 'microsoft_defender_machine',
  device: 'user_endpoint',
  logon: 'microsoft_defender_logon_user',
  vuln: 'microsoft_defender_vulnerability',
};

function entity(type: string, cls: string, key: string, props: Record<string, unknown>): Entity {
  return { _key: key, _type: type, _class: [cls], ...props } as Entity;
}

export const keys = {
  account: `${TYPES.account}:tenant-1`,
  user: (id: string) => `${TYPES.user}:${id}`,
  group: (id: string) => `${TYPES.group}:${id}`,
  machine: (id: string) => `${TYPES.machine}:${id}`,
  device: (id: string) => `${TYPES.device}.${id}`,
  logon: (name: string) => `${TYPES.logon}:${name}`,
  vuln: (cve: string) => `${TYPES.vuln}:${cve}`,
};

function users(includeDave: boolean): Entity[] {
  const list = [
    entity(TYPES.user, 'User', keys.user('u1'), {
      displayName: 'Alice',
      username: 'alice',
      active: true,
      email: ['alice@corp.example', 'a@corp.example'],
      userType: 'Member',
      employeeId: 'E1',
      onPremisesSamAccountName: 'alice',
    }),
    entity(TYPES.user, 'User', keys.user('u2'), {
      displayName: 'Bob',
      username: 'bob',
      active: false,
      email: ['bob@corp.example'],
      userType: 'Guest',
    }),
    entity(TYPES.user, 'User', keys.user('u3'), {
      displayName: 'Carol',
      username: 'carol',
      active: true,
      userType: 'Member',
      employeeId: 'E3',
    }),
  ];
  if (includeDave)
    list.push(
      entity(TYPES.user, 'User', keys.user('u4'), {
        displayName: 'Dave',
        username: 'dave',
        active: true,
        userType: 'Member',
      }),
    );
  return list;
}

const groups = [
  entity(TYPES.group, 'UserGroup', keys.group('g1'), { displayName: 'Admins', name: 'Admins' }),
  entity(TYPES.group, 'UserGroup', keys.group('g2'), { displayName: 'Helpdesk', name: 'Helpdesk' }),
];

const machines = [
  entity(TYPES.machine, 'HostAgent', keys.machine('m1'), {
    displayName: 'ws-001',
    osPlatform: 'Windows10',
    riskScore: 'High',
    healthStatus: 'Active',
    exposureLevel: 'High',
    ipAddress: ['10.0.0.1', '192.168.1.5'],
    lastSeenOn: NOW - 1 * DAY,
    rbacGroupId: 7,
    'tag.AccountName': 'prod',
    machineTags: ['vip'],
  }),
  entity(TYPES.machine, 'HostAgent', keys.machine('m2'), {
    displayName: 'ws-002',
    osPlatform: 'Windows11',
    riskScore: 'Low',
    healthStatus: 'Inactive',
    lastSeenOn: NOW - 40 * DAY,
    rbacGroupId: 3,
    machineTags: [],
    [HOSTILE_NAME]: HOSTILE_VALUE,
  }),
  entity(TYPES.machine, 'HostAgent', keys.machine('m3'), {
    displayName: 'srv-003',
    osPlatform: 'Linux',
    riskScore: 'Medium',
    healthStatus: 'Active',
    ipAddress: ['10.0.0.3'],
    tags: ['CriticalAsset', 'Production'],
    lastSeenOn: NOW - 2 * DAY,
    rbacGroupId: 7,
    'tag.AccountName': 'dev',
  }),
];

const devices = ['m1', 'm2', 'm3'].map((id) =>
  entity(TYPES.device, 'Device', keys.device(id), { displayName: `device ${id}`, machineId: id }),
);

const logonUsers = [
  entity(TYPES.logon, 'User', keys.logon('corp\\alice'), {
    displayName: 'corp\\alice',
    domain: 'corp',
    accountName: 'alice',
  }),
  entity(TYPES.logon, 'User', keys.logon('corp\\svc-backup'), {
    displayName: 'corp\\svc-backup',
    domain: 'corp',
    accountName: 'svc-backup',
  }),
];

const vulnerabilities = [
  entity(TYPES.vuln, 'Finding', keys.vuln('CVE-2024-0001'), {
    displayName: 'CVE-2024-0001',
    severity: 'High',
    cvssScore: 9.8,
    exploitable: true,
  }),
  entity(TYPES.vuln, 'Finding', keys.vuln('CVE-2024-0002'), {
    displayName: 'CVE-2024-0002',
    severity: 'Medium',
    cvssScore: 5,
    exploitable: false,
  }),
  entity(TYPES.vuln, 'Finding', keys.vuln('CVE-2024-0003'), {
    displayName: 'CVE-2024-0003',
    severity: 'Low',
    cvssScore: 2.5,
  }),
];

const account = entity(TYPES.account, 'Account', keys.account, {
  displayName: 'Contoso',
  name: 'Contoso',
});

function rel(
  type: string,
  verb: string,
  from: string,
  to: string,
  props: Record<string, unknown> = {},
): Relationship {
  return {
    _key: `${from}|${verb.toLowerCase()}|${to}`,
    _type: type,
    _class: verb,
    _fromEntityKey: from,
    _toEntityKey: to,
    ...props,
  } as Relationship;
}

function relationships(includeDave: boolean): Relationship[] {
  const userIds = includeDave ? ['u1', 'u2', 'u3', 'u4'] : ['u1', 'u2', 'u3'];
  return [
    ...userIds.map((u) => rel(`${TYPES.account}_has_user`, 'HAS', keys.account, keys.user(u))),
    ...['m1', 'm2', 'm3'].map((m) =>
      rel(`${TYPES.account}_has_machine`, 'HAS', keys.account, keys.machine(m)),
    ),
    rel(`${TYPES.group}_has_user`, 'HAS', keys.group('g1'), keys.user('u1')),
    rel(`${TYPES.group}_has_group`, 'HAS', keys.group('g1'), keys.group('g2')),
    rel(`${TYPES.group}_has_user`, 'HAS', keys.group('g2'), keys.user('u2')),
    ...['m1', 'm2', 'm3'].map((m) =>
      rel(`${TYPES.machine}_manages_${TYPES.device}`, 'MANAGES', keys.machine(m), keys.device(m)),
    ),
    rel(`${TYPES.machine}_has_logon_user`, 'HAS', keys.machine('m1'), keys.logon('corp\\alice'), {
      lastSeenOn: NOW - DAY,
    }),
    rel(`${TYPES.machine}_has_logon_user`, 'HAS', keys.machine('m2'), keys.logon('corp\\alice'), {
      lastSeenOn: NOW - 30 * DAY,
    }),
    rel(
      `${TYPES.machine}_has_logon_user`,
      'HAS',
      keys.machine('m3'),
      keys.logon('corp\\svc-backup'),
      {
        lastSeenOn: NOW - DAY,
      },
    ),
    rel(`${TYPES.logon}_is_user`, 'IS', keys.logon('corp\\alice'), keys.user('u1')),
    ...[
      ['m1', 'CVE-2024-0001'],
      ['m1', 'CVE-2024-0002'],
      ['m2', 'CVE-2024-0001'],
      ['m3', 'CVE-2024-0003'],
    ].map(([m, cve]) =>
      rel(
        `${TYPES.machine}_identified_vulnerability`,
        'IDENTIFIED',
        keys.machine(m!),
        keys.vuln(cve!),
        {
          fixingKbId: cve === 'CVE-2024-0001' ? 'KB500' : null,
        },
      ),
    ),
  ];
}

function runResult(instanceName: string): IntegrationRunResult {
  return {
    instanceName,
    startedAt: NOW,
    finishedAt: NOW,
    stepResults: [
      {
        id: 'fixture',
        name: 'fixture',
        dependsOn: [],
        status: 'success',
        declaredTypes: Object.values(TYPES),
        partialTypes: [],
        encounteredTypes: Object.values(TYPES),
        encounteredTypeCounts: {},
        apiCalls: 0,
      },
    ],
    partialDatasets: { types: [] },
    disabledTypes: [],
    apiCalls: {},
  };
}

async function syncOnce(
  store: GraphStore,
  instanceName: string,
  includeDave: boolean,
): Promise<void> {
  const session = await store.beginSync(instanceName, { maxDeleteShare: 1 });
  await session.addEntities('fixture', [
    account,
    ...users(includeDave),
    ...groups,
    ...machines,
    ...devices,
    ...logonUsers,
    ...vulnerabilities,
  ]);
  await session.addRelationships('fixture', relationships(includeDave));
  await session.commit(runResult(instanceName));
}

/** Two syncs: the second drops Dave, so he stays as a deleted entity. */
export async function loadFixtureGraph(store: GraphStore, instanceName = 'contoso'): Promise<void> {
  await syncOnce(store, instanceName, true);
  await syncOnce(store, instanceName, false);
}
