/**
 * Maps one sync's accounts to people over its staged graph: reads users, logon users and machine
 * logons through the GraphObjectStore, matches with hash lookups (never account × person), and
 * stages the Person entities and their IS / MANAGES / OWNS links for the sync's commit.
 */
import type { Entity, GraphObjectStore, Relationship } from '../graph/types.js';
import { ENTITIES, RELATIONSHIPS } from '../integration/declarations.js';
import { directRelationship } from '../integration/relationships.js';
import {
  domainAliasMap,
  PeopleMatcher,
  type AccountRecord,
  type Conflict,
  type Link,
} from './match.js';
import { OwnershipTracker } from './ownership.js';
import { PEOPLE_STEP_ID, PERSON } from './declarations.js';
import {
  accountFromUser,
  AccountReader,
  isDirectoryHuman,
  personEntityFromRow,
  personKey,
  personRecordFromRow,
  rosterFromDirectory,
} from './records.js';
import type { Roster, RosterRow } from './roster.js';
import { EMAIL_NORMALISATION, normalise, type PeopleRules } from './rules.js';

const WRITE_BATCH = 1000;

export interface PeopleMappingResult {
  people: number;
  peopleSource: 'roster' | 'directory';
  sourceName: string;
  links: number;
  conflicts: { accountKey: string; conflict: Conflict }[];
  excluded: number;
  unmatched: number;
  relationshipCounts: Record<string, number>;
  /** Milliseconds per phase: indexing people, reading and matching accounts, logons → owners, staging. */
  timings: { index: number; match: number; ownership: number; stage: number };
}

/** Tenant domains (for the domain alias default) from the staged account entity. */
async function tenantDomains(store: GraphObjectStore) {
  const tenant = {
    defaultDomain: undefined as string | undefined,
    verifiedDomains: [] as string[],
  };
  await store.iterateEntities({ _type: ENTITIES.ACCOUNT._type }, (account) => {
    if (typeof account.defaultDomain === 'string') tenant.defaultDomain = account.defaultDomain;
    if (Array.isArray(account.verifiedDomains))
      tenant.verifiedDomains = account.verifiedDomains.map(String);
  });
  return tenant;
}

/** A manager cell names another person by employeeId or by email (normalised as the email rules do). */
function managerIndex(
  rows: RosterRow[],
  aliases: ReadonlyMap<string, string>,
): (cell: string) => string | undefined {
  const index = new Map<string, string>();
  const email = (value: string) => normalise(value, EMAIL_NORMALISATION, aliases);
  for (const row of rows) {
    const key = personKey(row.employeeId);
    index.set(row.employeeId.toLowerCase(), key);
    for (const address of row.email) index.set(email(address), key);
  }
  return (cell) => index.get(cell.toLowerCase()) ?? index.get(email(cell));
}

export async function mapPeople(
  store: GraphObjectStore,
  rules: PeopleRules,
  roster: Roster | undefined,
): Promise<PeopleMappingResult> {
  let clock = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - clock);
    clock = now;
    return ms;
  };
  const aliases = domainAliasMap(rules, await tenantDomains(store));
  const matcher = new PeopleMatcher(rules, aliases);

  // Without a roster the people come from the users, so they are read once before matching.
  const humans: Entity[] = [];
  if (!roster)
    await store.iterateEntities({ _type: ENTITIES.USER._type }, (user) => {
      if (isDirectoryHuman(user) && !matcher.exclusion(accountFromUser(user))) humans.push(user);
    });
  const source = roster ?? rosterFromDirectory(humans);
  const peopleSource = roster ? ('roster' as const) : ('directory' as const);
  for (const row of source.rows) matcher.addPerson(personRecordFromRow(row));
  const index = lap();

  // Accounts are matched as they stream from staging: only the links are kept.
  const links = new Map<string, Link & { kind: AccountRecord['kind'] }>();
  const conflicts: PeopleMappingResult['conflicts'] = [];
  let excluded = 0;
  let unmatched = 0;
  const matchAccount = (account: AccountRecord) => {
    const outcome = matcher.match(account);
    if (outcome.excluded) excluded++;
    else if (outcome.link) links.set(account.key, { ...outcome.link, kind: account.kind });
    else if (outcome.conflict)
      conflicts.push({ accountKey: account.key, conflict: outcome.conflict });
    else unmatched++;
  };
  const reader = new AccountReader();
  await store.iterateEntities({ _type: ENTITIES.USER._type }, (user) =>
    matchAccount(reader.user(user)),
  );
  const userOfLogon = new Map<string, string>();
  await store.iterateRelationships({ _type: RELATIONSHIPS.LOGON_USER_IS_USER._type }, (r) => {
    const rel = r as Relationship;
    userOfLogon.set(rel._fromEntityKey, rel._toEntityKey);
  });
  await store.iterateEntities({ _type: ENTITIES.LOGON_USER._type }, (logonUser) => {
    if (!userOfLogon.has(logonUser._key)) matchAccount(reader.logonUser(logonUser));
  });

  const match = lap();
  const personOfLogon = (logonUserKey: string): string | undefined => {
    const user = userOfLogon.get(logonUserKey);
    return links.get(user ?? logonUserKey)?.personKey;
  };
  const deviceOfMachine = new Map<string, string>();
  await store.iterateRelationships({ _type: RELATIONSHIPS.MACHINE_MANAGES_DEVICE._type }, (r) => {
    const rel = r as Relationship;
    deviceOfMachine.set(rel._fromEntityKey, rel._toEntityKey);
  });
  const ownership = new OwnershipTracker();
  await store.iterateRelationships({ _type: RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type }, (r) => {
    const rel = r as Relationship;
    const person = personOfLogon(rel._toEntityKey);
    if (!person || !deviceOfMachine.has(rel._fromEntityKey)) return;
    ownership.consider(person, {
      machineKey: rel._fromEntityKey,
      logonUserKey: rel._toEntityKey,
      lastSeenOn: typeof rel.lastSeenOn === 'number' ? rel.lastSeenOn : undefined,
      firstSeenOn: typeof rel.firstSeenOn === 'number' ? rel.firstSeenOn : undefined,
      isOnlyNetworkUser: rel.isOnlyNetworkUser === true,
    });
  });

  const ownershipMs = lap();
  const userIds = new Map<string, string[]>();
  for (const [accountKey, link] of links) {
    const ids = userIds.get(link.personKey) ?? [];
    ids.push(accountKey);
    userIds.set(link.personKey, ids);
  }
  const counts: Record<string, number> = {};
  const relationships: Relationship[] = [];
  const stage = async (rel: Relationship) => {
    counts[rel._type] = (counts[rel._type] ?? 0) + 1;
    relationships.push(rel);
    if (relationships.length >= WRITE_BATCH)
      await store.addRelationships(PEOPLE_STEP_ID, relationships.splice(0));
  };

  const managerOf = managerIndex(source.rows, aliases);
  const rowOf = new Map(source.rows.map((row) => [personKey(row.employeeId), row]));
  const entities: Entity[] = [];
  for (const row of source.rows) {
    const person = personEntityFromRow(row, { peopleSource, sourceName: source.name });
    person.userIds = (userIds.get(person._key) ?? []).sort();
    const manager = row.manager ? rowOf.get(managerOf(row.manager) ?? '') : undefined;
    if (manager) {
      person.managerId = manager.employeeId;
      person.managerEmail = manager.email[0]?.toLowerCase() ?? null;
      person.managerName =
        manager.displayName ??
        ([manager.firstName, manager.lastName].filter(Boolean).join(' ') || null);
    }
    entities.push(person);
    if (entities.length >= WRITE_BATCH) await store.addEntities(PEOPLE_STEP_ID, entities.splice(0));
  }
  await store.addEntities(PEOPLE_STEP_ID, entities);

  const personRef = (key: string) => ({ _type: PERSON._type, _key: key });
  for (const [accountKey, link] of links) {
    const accountType = link.kind === 'user' ? ENTITIES.USER._type : ENTITIES.LOGON_USER._type;
    await stage(
      directRelationship(
        'IS',
        { _type: accountType, _key: accountKey },
        personRef(link.personKey),
        {
          matchedOn: link.matchedOn,
          matchedValue: link.value,
          confidence: link.confidence,
        },
      ),
    );
  }
  for (const row of source.rows) {
    const manager = row.manager ? managerOf(row.manager) : undefined;
    const key = personKey(row.employeeId);
    if (manager && manager !== key)
      await stage(
        directRelationship('MANAGES', personRef(manager), personRef(key), { manager: row.manager }),
      );
  }
  for (const [person, owned] of ownership.results()) {
    await stage(
      directRelationship(
        'OWNS',
        personRef(person),
        { _type: ENTITIES.DEVICE._type, _key: deviceOfMachine.get(owned.machineKey)! },
        {
          ownershipRule: owned.rule,
          evidenceAccount: owned.account,
          evidenceMachine: owned.machineKey,
          lastLogonOn: owned.lastLogonOn,
          firstLogonOn: owned.firstLogonOn,
          candidateMachines: owned.candidateMachines,
        },
      ),
    );
  }
  await store.addRelationships(PEOPLE_STEP_ID, relationships);

  return {
    people: source.rows.length,
    peopleSource,
    sourceName: source.name,
    links: links.size,
    conflicts,
    excluded,
    unmatched,
    relationshipCounts: counts,
    timings: { index, match, ownership: ownershipMs, stage: lap() },
  };
}
