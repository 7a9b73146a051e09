/**
 * The committed graph one instance's people commands need (accounts, people, their links and the
 * machine logons), read once from the store so `people explain` and `people report` stay pure.
 */
import type { Entity, Relationship } from '../graph/types.js';
import { ENTITIES, RELATIONSHIPS } from '../integration/declarations.js';
import type { GraphStore } from '../store/index.js';
import { PEOPLE_RELATIONSHIPS, PERSON } from './declarations.js';

export interface PeopleGraph {
  tenant: { defaultDomain?: string; verifiedDomains: string[] };
  users: Map<string, Entity>;
  logonUsers: Map<string, Entity>;
  machines: Map<string, Entity>;
  devices: Map<string, Entity>;
  people: Map<string, Entity>;
  /** Account key → its IS Person link. */
  personLinks: Map<string, Relationship>;
  /** Logon user key → directory user key. */
  userOfLogon: Map<string, string>;
  /** Machine HAS logon user pairs. */
  logons: Relationship[];
  /** Person key → OWNS Device link. */
  owns: Map<string, Relationship>;
  /** Person key → the people they manage. */
  manages: Relationship[];
  /** Device key → machine key. */
  machineOfDevice: Map<string, string>;
}

const ENTITY_MAPS = {
  [ENTITIES.USER._type]: 'users',
  [ENTITIES.LOGON_USER._type]: 'logonUsers',
  [ENTITIES.MACHINE._type]: 'machines',
  [ENTITIES.DEVICE._type]: 'devices',
  [PERSON._type]: 'people',
} as const;

export async function loadPeopleGraph(store: GraphStore, instanceId: string): Promise<PeopleGraph> {
  const graph: PeopleGraph = {
    tenant: { verifiedDomains: [] },
    users: new Map(),
    logonUsers: new Map(),
    machines: new Map(),
    devices: new Map(),
    people: new Map(),
    personLinks: new Map(),
    userOfLogon: new Map(),
    logons: [],
    owns: new Map(),
    manages: [],
    machineOfDevice: new Map(),
  };
  await store.iterate({ kind: 'entity', instanceId }, (object) => {
    const entity = object as Entity;
    if (entity._type === ENTITIES.ACCOUNT._type) {
      if (typeof entity.defaultDomain === 'string')
        graph.tenant.defaultDomain = entity.defaultDomain;
      if (Array.isArray(entity.verifiedDomains))
        graph.tenant.verifiedDomains = entity.verifiedDomains.map(String);
      return;
    }
    const map = ENTITY_MAPS[entity._type as keyof typeof ENTITY_MAPS];
    if (map) graph[map].set(entity._key, entity);
  });
  await store.iterate({ kind: 'relationship', instanceId }, (object) => {
    const rel = object as Relationship;
    switch (rel._type) {
      case PEOPLE_RELATIONSHIPS.USER_IS_PERSON._type:
      case PEOPLE_RELATIONSHIPS.LOGON_USER_IS_PERSON._type:
        graph.personLinks.set(rel._fromEntityKey, rel);
        return;
      case RELATIONSHIPS.LOGON_USER_IS_USER._type:
        graph.userOfLogon.set(rel._fromEntityKey, rel._toEntityKey);
        return;
      case RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type:
        graph.logons.push(rel);
        return;
      case RELATIONSHIPS.MACHINE_MANAGES_DEVICE._type:
        graph.machineOfDevice.set(rel._toEntityKey, rel._fromEntityKey);
        return;
      case PEOPLE_RELATIONSHIPS.PERSON_OWNS_DEVICE._type:
        graph.owns.set(rel._fromEntityKey, rel);
        return;
      case PEOPLE_RELATIONSHIPS.PERSON_MANAGES_PERSON._type:
        graph.manages.push(rel);
        return;
    }
  });
  return graph;
}
