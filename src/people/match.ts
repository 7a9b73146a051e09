/**
 * The matcher: people indexed once per rule by normalised value (hash maps), then each account
 * looked up rule by rule in priority order. Pure; the first rule that finds anyone decides, and an
 * account it finds two people for is a conflict with no link.
 */
import {
  normalise,
  type AccountProperty,
  type MatchRule,
  type PeopleRules,
  type PersonProperty,
} from './rules.js';

export type AccountKind = 'user' | 'logonUser';

export interface AccountRecord {
  key: string;
  kind: AccountKind;
  values: Partial<Record<AccountProperty, string[]>>;
  userType?: string;
  employeeType?: string;
  /** Names the exclusion patterns are tested on (UPN local part, sAMAccountName, logon name). */
  accountNames: string[];
}

export interface PersonRecord {
  key: string;
  employeeType?: string;
  values: Partial<Record<PersonProperty, string[]>>;
}

export interface Link {
  personKey: string;
  matchedOn: string;
  /** The normalised value both sides had. */
  value: string;
  confidence: MatchRule['confidence'];
}

export interface Conflict {
  matchedOn: string;
  personKeys: string[];
  values: string[];
}

export interface RuleTrial {
  rule: string;
  priority: number;
  account: AccountProperty;
  person: PersonProperty;
  /** The account's values after the rule's normalisations. */
  compared: string[];
  found: { value: string; personKeys: string[] }[];
  outcome: 'linked' | 'conflict' | 'no match' | 'disabled' | 'ignored: a higher rule decided';
}

export interface AccountOutcome {
  accountKey: string;
  excluded?: string;
  link?: Link;
  conflict?: Conflict;
  trials?: RuleTrial[];
}

/** Alias domain → canonical domain: the configured table plus, when enabled, the tenant's own domains. */
export function domainAliasMap(
  rules: PeopleRules,
  tenant: { defaultDomain?: string; verifiedDomains: string[] },
): Map<string, string> {
  const aliases = new Map(rules.domainAliases);
  const canonical = tenant.defaultDomain?.toLowerCase();
  if (rules.tenantDomainsAreAliases && canonical)
    for (const domain of tenant.verifiedDomains)
      if (!aliases.has(domain.toLowerCase())) aliases.set(domain.toLowerCase(), canonical);
  return aliases;
}

export class PeopleMatcher {
  /** Per rule: normalised value → the person (a string: most values have one) or people. */
  private readonly indexes = new Map<string, Map<string, string | string[]>>();
  private readonly patterns: RegExp[];
  private readonly excludedTypes: Set<string>;
  private readonly excludedUserTypes: Set<string>;

  constructor(
    private readonly rules: PeopleRules,
    readonly aliases: ReadonlyMap<string, string>,
  ) {
    this.patterns = rules.exclusions.accountNamePatterns.map((p) => new RegExp(p, 'i'));
    this.excludedTypes = new Set(rules.exclusions.employeeTypes.map((t) => t.toLowerCase()));
    this.excludedUserTypes = new Set(rules.exclusions.userTypes.map((t) => t.toLowerCase()));
    for (const rule of rules.rules) if (rule.enabled) this.indexes.set(rule.id, new Map());
  }

  /** A roster row whose employeeType is excluded (service, shared, …) is a Person no account links to. */
  personExcluded(person: PersonRecord): boolean {
    return this.excludedTypes.has(person.employeeType?.toLowerCase() ?? '');
  }

  addPerson(person: PersonRecord): void {
    if (this.personExcluded(person)) return;
    for (const rule of this.rules.rules) {
      const index = this.indexes.get(rule.id);
      if (!index) continue;
      for (const raw of person.values[rule.person] ?? []) {
        const value = normalise(raw, rule.normalise, this.aliases);
        if (value === '') continue;
        const found = index.get(value);
        if (found === undefined) index.set(value, person.key);
        else if (typeof found === 'string') {
          if (found !== person.key) index.set(value, [found, person.key]);
        } else if (!found.includes(person.key)) found.push(person.key);
      }
    }
  }

  /** Why the account is not a person's at all (guest, service, shared, …), or undefined. */
  exclusion(account: AccountRecord): string | undefined {
    if (account.userType && this.excludedUserTypes.has(account.userType.toLowerCase()))
      return `userType ${account.userType} is excluded`;
    for (const type of [account.employeeType, account.userType])
      if (type && this.excludedTypes.has(type.toLowerCase()))
        return `type "${type}" is excluded (not a person)`;
    for (const name of account.accountNames)
      for (const pattern of this.patterns)
        if (pattern.test(name))
          return `account name "${name}" matches exclusion /${pattern.source}/`;
    return undefined;
  }

  match(account: AccountRecord, trace = false): AccountOutcome {
    const outcome: AccountOutcome = { accountKey: account.key };
    const excluded = this.exclusion(account);
    if (excluded) {
      outcome.excluded = excluded;
      if (!trace) return outcome;
    }
    const trials: RuleTrial[] = [];
    let decided = excluded !== undefined;
    for (const rule of this.rules.rules) {
      const compared = [
        ...new Set(
          (account.values[rule.account] ?? [])
            .map((v) => normalise(v, rule.normalise, this.aliases))
            .filter((v) => v !== ''),
        ),
      ];
      const trial: RuleTrial = {
        rule: rule.id,
        priority: rule.priority,
        account: rule.account,
        person: rule.person,
        compared,
        found: [],
        outcome: 'no match',
      };
      const index = this.indexes.get(rule.id);
      if (!index) trial.outcome = 'disabled';
      else {
        for (const value of compared) {
          const found = index.get(value);
          if (found !== undefined)
            trial.found.push({
              value,
              personKeys: typeof found === 'string' ? [found] : [...found],
            });
        }
        const people = [...new Set(trial.found.flatMap((f) => f.personKeys))].sort();
        if (decided && people.length > 0) trial.outcome = 'ignored: a higher rule decided';
        else if (people.length === 1) {
          outcome.link = {
            personKey: people[0]!,
            matchedOn: rule.id,
            value: trial.found[0]!.value,
            confidence: rule.confidence,
          };
          trial.outcome = 'linked';
          decided = true;
        } else if (people.length > 1) {
          outcome.conflict = {
            matchedOn: rule.id,
            personKeys: people,
            values: trial.found.map((f) => f.value),
          };
          trial.outcome = 'conflict';
          decided = true;
        }
      }
      if (trace) trials.push(trial);
      else if (decided) break;
    }
    if (trace) outcome.trials = trials;
    return outcome;
  }
}
