import type {
  EntityDeclaration,
  MappedRelationshipDeclaration,
  RelationshipDeclaration,
} from '../graph/types.js';
import type { IngestionSource } from '../config/instance-config.js';
import { relationshipType } from './relationships.js';

/** Every entity type the integration emits (`_type`/`_class` kept from the J1 integration). */
export const ENTITIES = {
  ACCOUNT: { resourceName: 'Account', _type: 'microsoft_defender_account', _class: ['Account'] },
  USER: { resourceName: 'Directory user', _type: 'microsoft_defender_user', _class: ['User'] },
  GROUP: {
    resourceName: 'Directory group',
    _type: 'microsoft_defender_user_group',
    _class: ['UserGroup'],
  },
  MACHINE: { resourceName: 'Machine', _type: 'microsoft_defender_machine', _class: ['HostAgent'] },
  DEVICE: { resourceName: 'Device', _type: 'user_endpoint', _class: ['Device'] },
  LOGON_USER: {
    resourceName: 'Logon user',
    _type: 'microsoft_defender_logon_user',
    _class: ['User'],
  },
  VULNERABILITY: {
    resourceName: 'Vulnerability',
    _type: 'microsoft_defender_vulnerability',
    _class: ['Finding'],
  },
} as const satisfies Record<string, EntityDeclaration>;

type TypeRef = { _type: string };

/** A relationship declaration; its `_type` follows the J1 SDK's naming. */
export function relationship(
  from: TypeRef,
  relationshipClass: string,
  to: TypeRef,
): RelationshipDeclaration {
  return {
    _type: relationshipType(relationshipClass, from._type, to._type),
    sourceType: from._type,
    _class: relationshipClass,
    targetType: to._type,
  };
}

function mapped(
  from: TypeRef,
  relationshipClass: string,
  to: TypeRef & { _class?: readonly string[] },
): MappedRelationshipDeclaration {
  return {
    ...relationship(from, relationshipClass, to),
    direction: 'FORWARD',
    ...(to._class && { targetClass: [...to._class] }),
  };
}

/**
 * Targets of mapped relationships: entities other integrations (or the mapper) own. A target the
 * mapper creates when missing has JupiterOne's `_class` for that global type, so class queries
 * (`FIND Vulnerability`) find the placeholders; the others are never created (skipTargetCreation).
 */
export const MAPPED_TARGETS = {
  CVE: { _type: 'cve', _class: ['Vulnerability'] },
  AZURE_DEVICE: { _type: 'azure_device' },
  AZURE_SERVICE_PRINCIPAL: { _type: 'azure_service_principal' },
  AZURE_ORG_CONTACT: { _type: 'azure_org_contact' },
  AZURE_DIRECTORY_OBJECT: { _type: 'azure_directory_object' },
} as const;

export const RELATIONSHIPS = {
  ACCOUNT_HAS_USER: relationship(ENTITIES.ACCOUNT, 'HAS', ENTITIES.USER),
  ACCOUNT_HAS_GROUP: relationship(ENTITIES.ACCOUNT, 'HAS', ENTITIES.GROUP),
  GROUP_HAS_USER: relationship(ENTITIES.GROUP, 'HAS', ENTITIES.USER),
  GROUP_HAS_GROUP: relationship(ENTITIES.GROUP, 'HAS', ENTITIES.GROUP),
  ACCOUNT_HAS_MACHINE: relationship(ENTITIES.ACCOUNT, 'HAS', ENTITIES.MACHINE),
  MACHINE_MANAGES_DEVICE: relationship(ENTITIES.MACHINE, 'MANAGES', ENTITIES.DEVICE),
  MACHINE_HAS_LOGON_USER: relationship(ENTITIES.MACHINE, 'HAS', ENTITIES.LOGON_USER),
  MACHINE_IDENTIFIED_VULNERABILITY: relationship(
    ENTITIES.MACHINE,
    'IDENTIFIED',
    ENTITIES.VULNERABILITY,
  ),
  LOGON_USER_IS_USER: relationship(ENTITIES.LOGON_USER, 'IS', ENTITIES.USER),
} as const satisfies Record<string, RelationshipDeclaration>;

export const MAPPED_RELATIONSHIPS = {
  VULNERABILITY_IS_CVE: mapped(ENTITIES.VULNERABILITY, 'IS', MAPPED_TARGETS.CVE),
  GROUP_HAS_DEVICE: mapped(ENTITIES.GROUP, 'HAS', MAPPED_TARGETS.AZURE_DEVICE),
  GROUP_HAS_SERVICE_PRINCIPAL: mapped(
    ENTITIES.GROUP,
    'HAS',
    MAPPED_TARGETS.AZURE_SERVICE_PRINCIPAL,
  ),
  GROUP_HAS_ORG_CONTACT: mapped(ENTITIES.GROUP, 'HAS', MAPPED_TARGETS.AZURE_ORG_CONTACT),
  GROUP_HAS_DIRECTORY_OBJECT: mapped(ENTITIES.GROUP, 'HAS', MAPPED_TARGETS.AZURE_DIRECTORY_OBJECT),
} as const satisfies Record<string, MappedRelationshipDeclaration>;

export const STEP_IDS = {
  ACCOUNT: 'fetch-account',
  USERS: 'fetch-users',
  GROUPS: 'fetch-groups',
  MACHINES: 'fetch-machines',
  LOGON_USERS: 'fetch-logon-users',
  VULNERABILITIES: 'fetch-vulnerabilities',
  LOGON_USER_IS_USER: 'build-logon-user-is-user',
} as const;

export type StepId = (typeof STEP_IDS)[keyof typeof STEP_IDS];

/** What a step is, as data: the runner, the store's deletion rules and the docs read this. */
export interface StepDeclaration {
  id: string;
  name: string;
  entities: EntityDeclaration[];
  relationships: RelationshipDeclaration[];
  mappedRelationships: MappedRelationshipDeclaration[];
  dependsOn: StepId[];
  /** Disabling this source (config `disabledSources`) disables the step and its dependents. */
  ingestionSourceId?: IngestionSource;
  /** Application permissions the step needs, as `API: permission`. */
  permissions: { api: 'graph' | 'defender'; permission: string }[];
  /** Endpoints called and how the number of calls grows. */
  calls: string;
  /**
   * A bulk path the step takes instead when the Defender token carries `permission`; without it
   * the step needs `permissions` and makes `calls`.
   */
  bulkPath?: { api: 'defender'; permission: string; calls: string };
}

/** A step declaration; what a step does not name (entities, relationships, …) is empty. */
function step(
  declaration: Pick<StepDeclaration, 'id' | 'name' | 'calls'> & Partial<StepDeclaration>,
): StepDeclaration {
  return {
    entities: [],
    relationships: [],
    mappedRelationships: [],
    dependsOn: [],
    permissions: [],
    ...declaration,
  };
}

export const STEP_DECLARATIONS: StepDeclaration[] = [
  step({
    id: STEP_IDS.ACCOUNT,
    name: 'Fetch account',
    entities: [ENTITIES.ACCOUNT],
    permissions: [{ api: 'graph', permission: 'Organization.Read.All' }],
    calls: 'Graph `GET /organization`: 1',
  }),
  step({
    id: STEP_IDS.USERS,
    name: 'Fetch users',
    entities: [ENTITIES.USER],
    relationships: [RELATIONSHIPS.ACCOUNT_HAS_USER],
    dependsOn: [STEP_IDS.ACCOUNT],
    ingestionSourceId: 'users',
    permissions: [{ api: 'graph', permission: 'User.Read.All' }],
    calls:
      'Graph `GET /users`: ⌈users / 999⌉, plus `GET /users/delta?$deltatoken=latest`: 1 (sync); incremental sync: `GET /users/delta`: ⌈changed users / 100⌉ instead',
  }),
  step({
    id: STEP_IDS.GROUPS,
    name: 'Fetch groups and members',
    entities: [ENTITIES.GROUP],
    relationships: [
      RELATIONSHIPS.ACCOUNT_HAS_GROUP,
      RELATIONSHIPS.GROUP_HAS_USER,
      RELATIONSHIPS.GROUP_HAS_GROUP,
    ],
    mappedRelationships: [
      MAPPED_RELATIONSHIPS.GROUP_HAS_DEVICE,
      MAPPED_RELATIONSHIPS.GROUP_HAS_SERVICE_PRINCIPAL,
      MAPPED_RELATIONSHIPS.GROUP_HAS_ORG_CONTACT,
      MAPPED_RELATIONSHIPS.GROUP_HAS_DIRECTORY_OBJECT,
    ],
    dependsOn: [STEP_IDS.ACCOUNT, STEP_IDS.USERS],
    ingestionSourceId: 'groups',
    permissions: [
      { api: 'graph', permission: 'Group.Read.All' },
      { api: 'graph', permission: 'GroupMember.Read.All' },
    ],
    calls:
      'Graph `GET /groups`: ⌈groups / 999⌉; `GET /groups/{id}/members`: Σ ⌈members / 999⌉ (≥ 1 per group), plus `GET /groups/delta?$deltatoken=latest`: 1 (sync); incremental sync: `GET /groups/delta`: ⌈changed groups / 100⌉ instead',
  }),
  step({
    id: STEP_IDS.MACHINES,
    name: 'Fetch machines and devices',
    entities: [ENTITIES.MACHINE, ENTITIES.DEVICE],
    relationships: [RELATIONSHIPS.ACCOUNT_HAS_MACHINE, RELATIONSHIPS.MACHINE_MANAGES_DEVICE],
    dependsOn: [STEP_IDS.ACCOUNT],
    ingestionSourceId: 'machines',
    permissions: [{ api: 'defender', permission: 'Machine.Read.All' }],
    calls: 'Defender `GET /api/machines`: ⌈machines / 10,000⌉',
  }),
  step({
    id: STEP_IDS.LOGON_USERS,
    name: 'Fetch logon users',
    entities: [ENTITIES.LOGON_USER],
    relationships: [RELATIONSHIPS.MACHINE_HAS_LOGON_USER],
    dependsOn: [STEP_IDS.MACHINES],
    ingestionSourceId: 'logon_users',
    permissions: [{ api: 'defender', permission: 'User.Read.All' }],
    calls:
      'Defender `GET /api/machines/{id}/logonusers`: 1 per machine (paced at 100/min and 1,500/h, so ≈ machines / 1,500 hours); incremental sync: 1 per new or changed machine',
    bulkPath: {
      api: 'defender',
      permission: 'AdvancedQuery.Read.All',
      calls:
        'Defender `POST /api/advancedqueries/run`: ⌈machine × account pairs / 100,000⌉ (+1 when a range is cut at the row cap; paced at 45/min and 1,500/h)',
    },
  }),
  step({
    id: STEP_IDS.VULNERABILITIES,
    name: 'Fetch vulnerabilities',
    entities: [ENTITIES.VULNERABILITY],
    relationships: [RELATIONSHIPS.MACHINE_IDENTIFIED_VULNERABILITY],
    mappedRelationships: [MAPPED_RELATIONSHIPS.VULNERABILITY_IS_CVE],
    dependsOn: [STEP_IDS.MACHINES],
    ingestionSourceId: 'vulnerabilities',
    permissions: [{ api: 'defender', permission: 'Vulnerability.Read.All' }],
    calls:
      'Defender `GET /api/vulnerabilities`: ⌈CVEs / page⌉; `GET /api/vulnerabilities/machinesVulnerabilities`: ⌈rows / 10,000⌉',
  }),
  step({
    id: STEP_IDS.LOGON_USER_IS_USER,
    name: 'Relate logon users to directory users',
    relationships: [RELATIONSHIPS.LOGON_USER_IS_USER],
    dependsOn: [STEP_IDS.USERS, STEP_IDS.LOGON_USERS],
    calls: 'none (reads collected users and logon users)',
  }),
];

/** Where a logon-user property comes from on each collection path (docs/data-model.md renders it). */
export interface PropertySource {
  /** `entity.name` or `relationship.name`. */
  property: string;
  perMachine: string;
  advancedHunting: string;
}

/**
 * The logon-user entity and machine HAS logon-user relationship from either path: same `_key`s,
 * same properties; this says how each is filled.
 */
export const LOGON_USER_PROPERTY_SOURCES: PropertySource[] = [
  {
    property: 'entity `_key`',
    perMachine: '`accountDomain\\accountName`, lower-case',
    advancedHunting: '`AccountDomain\\AccountName`, lower-case',
  },
  {
    property: 'entity `id`, `name`, `displayName`, `username`',
    perMachine: '`accountDomain\\accountName`',
    advancedHunting: '`AccountDomain\\AccountName`',
  },
  {
    property: 'entity `accountName`, `accountDomain`, `shortLoginId`',
    perMachine: '`accountName`, `accountDomain`',
    advancedHunting: '`AccountName`, `AccountDomain`',
  },
  {
    property: 'entity `accountSid`',
    perMachine: '`accountSid` of any machine that has one',
    advancedHunting: '`max(AccountSid)` of any device that has one (an empty string is no SID)',
  },
  {
    property: 'entity `isDomainAdmin`',
    perMachine: '`isDomainAdmin` on any machine',
    advancedHunting:
      '`IsLocalAdmin` on any device (DeviceLogonEvents has no domain-admin column: a local administrator who is not a domain admin reads `true` here)',
  },
  {
    property: 'relationship `firstSeenOn`, `lastSeenOn`',
    perMachine: '`firstSeen`, `lastSeen`',
    advancedHunting:
      '`min(Timestamp)`, `max(Timestamp)` of successful logons in the last 30 days, cut to whole seconds as `/logonusers` gives them',
  },
  {
    property: 'relationship `logonTypes`',
    perMachine: '`logonTypes` split at commas',
    advancedHunting: '`make_set(LogonType)`, in the order returned',
  },
  {
    property: 'relationship `isDomainAdmin`',
    perMachine: '`isDomainAdmin`',
    advancedHunting: '`IsLocalAdmin` on that device',
  },
  {
    property: 'relationship `isOnlyNetworkUser`',
    perMachine: '`isOnlyNetworkUser` (absent when Defender has no SID)',
    advancedHunting:
      'every logon type is `Network`; absent when there is no SID, as `/logonusers` leaves it',
  },
  {
    property: 'raw data',
    perMachine: 'the `/logonusers` record (first machine to answer)',
    advancedHunting: 'the row under the `/logonusers` field names (first device in id order)',
  },
];

/** `_type`s a step declares (entities, relationships, mapped relationships). */
export function declaredTypes(step: StepDeclaration): string[] {
  return [
    ...step.entities.map((e) => e._type),
    ...step.relationships.map((r) => r._type),
    ...step.mappedRelationships.map((r) => r._type),
  ];
}

/**
 * The given steps and every step that depends on them, directly or through others, in declaration
 * order: when a step fails, its dependents run without its data.
 */
export function withDependents(stepIds: Iterable<string>): StepDeclaration[] {
  const affected = new Set(stepIds);
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of STEP_DECLARATIONS) {
      if (affected.has(step.id) || !step.dependsOn.some((id) => affected.has(id))) continue;
      affected.add(step.id);
      grew = true;
    }
  }
  return STEP_DECLARATIONS.filter((s) => affected.has(s.id));
}
