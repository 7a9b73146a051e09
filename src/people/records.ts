/**
 * Pure conversions between graph entities, roster rows and the matcher's records: accounts from
 * directory and logon users, Person entities from roster rows or from Entra member users, and
 * matcher records back from committed Person entities (for `people explain` and `people report`).
 */
import type { Entity } from '../graph/types.js';
import { entityIdentity } from '../integration/converters/entity.js';
import { withoutUndefined } from '../integration/relationships.js';
import type { AccountRecord, PersonRecord } from './match.js';
import { PERSON } from './declarations.js';
import type { Roster, RosterRow } from './roster.js';

const text = (e: Entity, name: string): string | undefined =>
  typeof e[name] === 'string' && e[name] !== '' ? (e[name] as string) : undefined;

const list = (e: Entity, name: string): string[] => {
  const value = e[name];
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value !== '' ? [value] : [];
};

const present = (...values: (string | undefined)[]): string[] =>
  values.filter((v): v is string => v !== undefined && v.trim() !== '');

export function personKey(employeeId: string): string {
  return `${PERSON._type}:${employeeId}`;
}

function fullName(first?: string, last?: string): string | undefined {
  const name = present(first, last).join(' ');
  return name === '' ? undefined : name;
}

/** A directory user as the matcher sees it. */
export function accountFromUser(user: Entity): AccountRecord {
  const upn = text(user, 'userPrincipalName');
  const mail = text(user, 'mail');
  const known = new Set(present(mail, upn).map((v) => v.toLowerCase()));
  const sam = text(user, 'onPremisesSamAccountName');
  return {
    key: user._key,
    kind: 'user',
    values: {
      employeeId: present(text(user, 'employeeId')),
      mail: present(mail),
      otherMails: list(user, 'email').filter((e) => !known.has(e.toLowerCase())),
      userPrincipalName: upn?.includes('#EXT#') ? [] : present(upn),
      onPremisesSamAccountName: present(sam),
      onPremisesSecurityIdentifier: present(text(user, 'onPremisesSecurityIdentifier')),
      displayName: present(text(user, 'displayName')),
      firstAndLastName: present(
        fullName(text(user, 'firstName'), text(user, 'lastName')),
        text(user, 'displayName'),
      ),
    },
    userType: text(user, 'userType'),
    employeeType: text(user, 'employeeType'),
    accountNames: present(upn?.split('@')[0], sam),
  };
}

/**
 * A logon user with no directory user. Its name is a sAMAccountName only in an on-premises domain
 * (`adDomains`, the NetBIOS names of the directory's synced domains), never on a machine-local one.
 */
function accountFromLogonUser(logonUser: Entity, adDomains: ReadonlySet<string>): AccountRecord {
  const name = text(logonUser, 'accountName');
  const domain = text(logonUser, 'accountDomain')?.toLowerCase() ?? '';
  return {
    key: logonUser._key,
    kind: 'logonUser',
    values: {
      onPremisesSecurityIdentifier: present(text(logonUser, 'accountSid')),
      onPremisesSamAccountName: adDomains.has(domain) ? present(name) : [],
    },
    accountNames: present(name),
  };
}

/** NetBIOS name and DNS name of a directory user's on-premises domain, lower-cased. */
function adDomainsOf(user: Entity): string[] {
  const dns = text(user, 'onPremisesDomainName')?.toLowerCase();
  return dns ? [dns, dns.split('.')[0]!] : [];
}

/**
 * Reads accounts to match: directory users, and logon users without a directory user (the others
 * reach their person through it). Read every user before any logon user: the users' on-premises
 * domains tell a domain logon from a machine-local one.
 */
export class AccountReader {
  private readonly adDomains = new Set<string>();

  user(user: Entity): AccountRecord {
    for (const domain of adDomainsOf(user)) this.adDomains.add(domain);
    return accountFromUser(user);
  }

  logonUser(logonUser: Entity): AccountRecord {
    return accountFromLogonUser(logonUser, this.adDomains);
  }
}

export function personRecordFromRow(row: RosterRow): PersonRecord {
  return {
    key: personKey(row.employeeId),
    employeeType: row.employeeType,
    values: {
      employeeId: [row.employeeId],
      email: row.email,
      samAccountName: present(row.samAccountName),
      onPremisesSid: present(row.onPremisesSid),
      displayName: present(row.displayName ?? fullName(row.firstName, row.lastName)),
      firstAndLastName: present(fullName(row.firstName, row.lastName), row.displayName),
    },
  };
}

const epoch = (date: string | undefined) => (date ? Date.parse(date) : undefined);

/** A roster row as an `employee` entity with JupiterOne's Person properties. */
export function personEntityFromRow(
  row: RosterRow,
  source: { peopleSource: 'roster' | 'directory'; sourceName: string },
): Entity {
  const name = row.displayName ?? fullName(row.firstName, row.lastName) ?? row.employeeId;
  return {
    ...withoutUndefined({
      id: row.employeeId,
      name,
      displayName: name,
      firstName: row.firstName ?? null,
      lastName: row.lastName ?? null,
      email: row.email.map((e) => e.toLowerCase()),
      employeeId: row.employeeId,
      employeeType: row.employeeType?.toLowerCase(),
      employmentStatus: row.employmentStatus ?? 'active',
      active: (row.employmentStatus ?? 'active') === 'active',
      title: row.title,
      department: row.department,
      manager: row.manager,
      startDate: row.startDate,
      endDate: row.endDate,
      startedOn: epoch(row.startDate),
      endedOn: epoch(row.endDate),
      samAccountName: row.samAccountName,
      onPremisesSid: row.onPremisesSid,
      userIds: [] as string[],
      peopleSource: source.peopleSource,
      sourceName: source.sourceName,
    }),
    ...entityIdentity(PERSON, personKey(row.employeeId)),
  };
}

/** The roster fields a committed Person entity carries, so the matcher can be rebuilt from the graph. */
export function rowFromPersonEntity(person: Entity): RosterRow {
  const value = (name: string) => text(person, name);
  return withoutUndefined({
    employeeId: value('employeeId') ?? person._key,
    email: list(person, 'email'),
    firstName: value('firstName'),
    lastName: value('lastName'),
    displayName: value('displayName'),
    employeeType: value('employeeType'),
    samAccountName: value('samAccountName'),
    onPremisesSid: value('onPremisesSid'),
  }) as RosterRow;
}

/**
 * Without a roster, people come from Entra member users that look human (the caller has applied
 * the exclusions): one Person per employeeId, or per user when it has none; admin accounts that
 * carry their owner's employeeId join the owner's Person.
 */
export function rosterFromDirectory(users: Entity[]): Roster {
  const rows = new Map<string, RosterRow>();
  for (const user of users) {
    const employeeId = text(user, 'employeeId') ?? text(user, 'id') ?? user._key;
    const email = list(user, 'email');
    const existing = rows.get(employeeId);
    if (existing) {
      existing.email = [...new Set([...existing.email, ...email])];
      continue;
    }
    rows.set(
      employeeId,
      withoutUndefined({
        employeeId,
        email,
        firstName: text(user, 'firstName'),
        lastName: text(user, 'lastName'),
        displayName: text(user, 'displayName'),
        title: text(user, 'jobTitle'),
        department: text(user, 'department'),
        employeeType: text(user, 'employeeType')?.toLowerCase(),
        employmentStatus: user.active === false ? undefined : 'active',
      }) as RosterRow,
    );
  }
  return { name: 'Entra member users', rows: [...rows.values()] };
}

export function isDirectoryHuman(user: Entity): boolean {
  return (
    text(user, 'userType') === 'Member' &&
    (list(user, 'email').length > 0 || text(user, 'employeeId') !== undefined)
  );
}
