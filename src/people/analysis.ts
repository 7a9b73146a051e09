/**
 * `people explain` and `people report` over a loaded PeopleGraph: the matcher is rebuilt from the
 * committed Person entities with the instance's rules, so an explanation shows every rule tried
 * and a report finds conflicts exactly as the sync decided them. Pure.
 */
import type { Entity, Relationship } from '../graph/types.js';
import { ENTITIES } from '../integration/declarations.js';
import { domainAliasMap, PeopleMatcher, type AccountOutcome, type AccountRecord } from './match.js';
import type { PeopleGraph } from './people-graph.js';
import { AccountReader, personRecordFromRow, rowFromPersonEntity } from './records.js';
import type { PeopleRules } from './rules.js';

export interface MatchingContext {
  matcher: PeopleMatcher;
  accounts: Map<string, AccountRecord>;
}

export function matchingContext(graph: PeopleGraph, rules: PeopleRules): MatchingContext {
  const matcher = new PeopleMatcher(rules, domainAliasMap(rules, graph.tenant));
  for (const person of graph.people.values())
    matcher.addPerson(personRecordFromRow(rowFromPersonEntity(person)));
  const reader = new AccountReader();
  const accounts = new Map<string, AccountRecord>();
  for (const user of graph.users.values()) accounts.set(user._key, reader.user(user));
  for (const logonUser of graph.logonUsers.values())
    if (!graph.userOfLogon.has(logonUser._key))
      accounts.set(logonUser._key, reader.logonUser(logonUser));
  return { matcher, accounts };
}

const name = (e: Entity | undefined) => (e ? String(e.displayName ?? e.name ?? e._key) : undefined);

export interface LinkView {
  account: string;
  person: string;
  personName?: string;
  matchedOn: unknown;
  matchedValue: unknown;
  confidence: unknown;
}

function linkView(graph: PeopleGraph, link: Relationship): LinkView {
  return {
    account: link._fromEntityKey,
    person: link._toEntityKey,
    personName: name(graph.people.get(link._toEntityKey)),
    matchedOn: link.matchedOn,
    matchedValue: link.matchedValue,
    confidence: link.confidence,
  };
}

export type Explanation =
  | {
      kind: 'account';
      key: string;
      accountType: string;
      /** The link the last sync committed, if any. */
      committedLink?: LinkView;
      outcome: AccountOutcome;
    }
  | {
      kind: 'logon user through its directory user';
      key: string;
      directoryUser: string;
      committedLink?: LinkView;
      directoryUserOutcome?: AccountOutcome;
    }
  | {
      kind: 'person';
      key: string;
      person: Record<string, unknown>;
      accounts: LinkView[];
      manager?: string;
      manages: string[];
      owns?: Record<string, unknown>;
    }
  | {
      kind: 'machine';
      key: string;
      device?: string;
      owners: { person: string; personName?: string; evidence: Record<string, unknown> }[];
      logons: { logonUser: string; person?: string; lastSeenOn?: unknown; networkOnly: boolean }[];
    };

function ownershipEvidence(rel: Relationship): Record<string, unknown> {
  const { ownershipRule, evidenceAccount, evidenceMachine, lastLogonOn, candidateMachines } = rel;
  return {
    device: rel._toEntityKey,
    ownershipRule,
    evidenceAccount,
    evidenceMachine,
    lastLogonOn: typeof lastLogonOn === 'number' ? new Date(lastLogonOn).toISOString() : undefined,
    candidateMachines,
  };
}

/** Everything that decided how one key (user, logon user, person, machine or device) maps to people. */
export function explainKey(
  graph: PeopleGraph,
  context: MatchingContext,
  key: string,
): Explanation | undefined {
  const committed = graph.personLinks.get(key);
  const committedLink = committed ? linkView(graph, committed) : undefined;
  const directoryUser = graph.userOfLogon.get(key);
  if (graph.logonUsers.has(key) && directoryUser) {
    const userAccount = context.accounts.get(directoryUser);
    const userLink = graph.personLinks.get(directoryUser);
    return {
      kind: 'logon user through its directory user',
      key,
      directoryUser,
      committedLink: userLink ? linkView(graph, userLink) : undefined,
      directoryUserOutcome: userAccount ? context.matcher.match(userAccount, true) : undefined,
    };
  }
  const account = context.accounts.get(key);
  if (account)
    return {
      kind: 'account',
      key,
      accountType: account.kind === 'user' ? ENTITIES.USER._type : ENTITIES.LOGON_USER._type,
      committedLink,
      outcome: context.matcher.match(account, true),
    };
  const person = graph.people.get(key);
  if (person) {
    const owns = graph.owns.get(key);
    const properties = Object.fromEntries(
      Object.entries(person).filter(([k]) => !k.startsWith('_') || k === '_key'),
    );
    return {
      kind: 'person',
      key,
      person: properties,
      accounts: [...graph.personLinks.values()]
        .filter((l) => l._toEntityKey === key)
        .map((l) => linkView(graph, l)),
      manager: graph.manages.find((m) => m._toEntityKey === key)?._fromEntityKey,
      manages: graph.manages.filter((m) => m._fromEntityKey === key).map((m) => m._toEntityKey),
      owns: owns ? ownershipEvidence(owns) : undefined,
    };
  }
  const machineKey = graph.machines.has(key) ? key : graph.machineOfDevice.get(key);
  if (machineKey) {
    const device = [...graph.machineOfDevice].find(([, m]) => m === machineKey)?.[0];
    const personOf = (logonUser: string) =>
      graph.personLinks.get(graph.userOfLogon.get(logonUser) ?? logonUser)?._toEntityKey;
    return {
      kind: 'machine',
      key: machineKey,
      device,
      owners: [...graph.owns.values()]
        .filter((o) => o._toEntityKey === device)
        .map((o) => ({
          person: o._fromEntityKey,
          personName: name(graph.people.get(o._fromEntityKey)),
          evidence: ownershipEvidence(o),
        })),
      logons: graph.logons
        .filter((l) => l._fromEntityKey === machineKey)
        .map((l) => ({
          logonUser: l._toEntityKey,
          person: personOf(l._toEntityKey),
          lastSeenOn:
            typeof l.lastSeenOn === 'number' ? new Date(l.lastSeenOn).toISOString() : undefined,
          networkOnly: l.isOnlyNetworkUser === true,
        })),
    };
  }
  return undefined;
}

export interface PeopleReport {
  counts: {
    people: number;
    linkedAccounts: number;
    unmappedHumanAccounts: number;
    peopleWithoutAccount: number;
    conflicts: number;
    departedWithEnabledAccounts: number;
    logonsAfterEndDate: number;
  };
  unmappedHumanAccounts: { key: string; name?: string }[];
  peopleWithoutAccount: { key: string; name?: string; employmentStatus?: unknown }[];
  conflicts: { account: string; matchedOn: string; people: string[]; values: string[] }[];
  /** Terminated or on-leave people whose directory accounts are still enabled. */
  departedWithEnabledAccounts: {
    person: string;
    name?: string;
    employmentStatus: unknown;
    endDate?: unknown;
    account: string;
  }[];
  /** Their logons seen after their end date (per machine and logon account). */
  logonsAfterEndDate: {
    person: string;
    endDate?: unknown;
    logonUser: string;
    machine: string;
    lastSeenOn: string;
  }[];
}

const DEPARTED = new Set(['terminated', 'leave']);

export function peopleReport(graph: PeopleGraph, context: MatchingContext): PeopleReport {
  const report: PeopleReport = {
    counts: {
      people: graph.people.size,
      linkedAccounts: graph.personLinks.size,
      unmappedHumanAccounts: 0,
      peopleWithoutAccount: 0,
      conflicts: 0,
      departedWithEnabledAccounts: 0,
      logonsAfterEndDate: 0,
    },
    unmappedHumanAccounts: [],
    peopleWithoutAccount: [],
    conflicts: [],
    departedWithEnabledAccounts: [],
    logonsAfterEndDate: [],
  };
  for (const account of context.accounts.values()) {
    if (graph.personLinks.has(account.key)) continue;
    const outcome = context.matcher.match(account);
    if (outcome.excluded) continue;
    const entity = graph.users.get(account.key) ?? graph.logonUsers.get(account.key);
    if (outcome.conflict)
      report.conflicts.push({
        account: account.key,
        matchedOn: outcome.conflict.matchedOn,
        people: outcome.conflict.personKeys,
        values: outcome.conflict.values,
      });
    else report.unmappedHumanAccounts.push({ key: account.key, name: name(entity) });
  }
  const linked = new Set([...graph.personLinks.values()].map((l) => l._toEntityKey));
  for (const person of graph.people.values())
    if (!linked.has(person._key))
      report.peopleWithoutAccount.push({
        key: person._key,
        name: name(person),
        employmentStatus: person.employmentStatus,
      });

  const departedPersonOf = (accountKey: string) => {
    const link = graph.personLinks.get(accountKey);
    const person = link && graph.people.get(link._toEntityKey);
    return person && DEPARTED.has(String(person.employmentStatus)) ? person : undefined;
  };
  for (const [accountKey, link] of graph.personLinks) {
    const person = departedPersonOf(accountKey);
    const user = graph.users.get(accountKey);
    if (person && user?.active === true)
      report.departedWithEnabledAccounts.push({
        person: link._toEntityKey,
        name: name(person),
        employmentStatus: person.employmentStatus,
        endDate: person.endDate,
        account: accountKey,
      });
  }
  for (const logon of graph.logons) {
    const logonUser = logon._toEntityKey;
    const person = departedPersonOf(graph.userOfLogon.get(logonUser) ?? logonUser);
    const ended = person?.endedOn;
    if (!person || typeof ended !== 'number' || typeof logon.lastSeenOn !== 'number') continue;
    if (logon.lastSeenOn > ended)
      report.logonsAfterEndDate.push({
        person: person._key,
        endDate: person.endDate,
        logonUser,
        machine: logon._fromEntityKey,
        lastSeenOn: new Date(logon.lastSeenOn).toISOString(),
      });
  }
  const byKey =
    <T extends Record<string, unknown>>(field: keyof T) =>
    (a: T, b: T) =>
      String(a[field]).localeCompare(String(b[field]));
  report.unmappedHumanAccounts.sort(byKey('key'));
  report.peopleWithoutAccount.sort(byKey('key'));
  report.conflicts.sort(byKey('account'));
  report.departedWithEnabledAccounts.sort(byKey('person'));
  report.logonsAfterEndDate.sort(byKey('person'));
  report.counts.unmappedHumanAccounts = report.unmappedHumanAccounts.length;
  report.counts.peopleWithoutAccount = report.peopleWithoutAccount.length;
  report.counts.conflicts = report.conflicts.length;
  report.counts.departedWithEnabledAccounts = report.departedWithEnabledAccounts.length;
  report.counts.logonsAfterEndDate = report.logonsAfterEndDate.length;
  return report;
}
