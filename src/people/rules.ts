/**
 * The people-mapping rules as data: the defaults shipped here, the schema an instance's
 * `people.rules` file is validated against, how a file is merged over the defaults, and the
 * normalisations a rule applies to both sides before comparing.
 */
import { z } from 'zod';

/** Account-side properties a rule may compare (directory users and logon users). */
export const ACCOUNT_PROPERTIES = [
  'employeeId',
  'mail',
  'otherMails',
  'userPrincipalName',
  'onPremisesSamAccountName',
  'onPremisesSecurityIdentifier',
  'displayName',
  'firstAndLastName',
] as const;
export type AccountProperty = (typeof ACCOUNT_PROPERTIES)[number];

/** Person-side (roster) properties a rule may compare. */
export const PERSON_PROPERTIES = [
  'employeeId',
  'email',
  'samAccountName',
  'onPremisesSid',
  'displayName',
  'firstAndLastName',
] as const;
export type PersonProperty = (typeof PERSON_PROPERTIES)[number];

export const NORMALISATIONS = [
  'trim',
  'lower-case',
  'collapse-spaces',
  'strip-plus-address',
  'domain-alias',
] as const;
export type Normalisation = (typeof NORMALISATIONS)[number];

const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and -'),
    description: z.string().optional(),
    account: z.enum(ACCOUNT_PROPERTIES).optional(),
    person: z.enum(PERSON_PROPERTIES).optional(),
    normalise: z.array(z.enum(NORMALISATIONS)).optional(),
    priority: z.number().int().min(0).max(1000).optional(),
    confidence: z.enum(['high', 'medium', 'low']).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

const domainAlias = z
  .string()
  .regex(/^\s*[^\s=@]+\s*=\s*[^\s=@]+\s*$/, "must read 'alias.domain = canonical.domain'");

/** The `people.rules` file: every key optional; what it names replaces or extends the defaults. */
export const rulesFileSchema = z
  .object({
    rules: z.array(ruleSchema).optional(),
    exclusions: z
      .object({
        userTypes: z.array(z.string()).optional(),
        employeeTypes: z.array(z.string()).optional(),
        accountNamePatterns: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    domainAliases: z.array(domainAlias).optional(),
    tenantDomainsAreAliases: z.boolean().optional(),
  })
  .strict();
export type RulesFile = z.infer<typeof rulesFileSchema>;

export interface MatchRule {
  id: string;
  description: string;
  account: AccountProperty;
  person: PersonProperty;
  normalise: Normalisation[];
  /** Higher first; the first rule that finds anyone decides. */
  priority: number;
  confidence: 'high' | 'medium' | 'low';
  enabled: boolean;
}

export interface Exclusions {
  /** Directory `userType`s that are never people (compared case-insensitively). */
  userTypes: string[];
  /** `employeeType`/`userType` values of accounts and roster rows that are not people. */
  employeeTypes: string[];
  /** Regular expressions (case-insensitive) over the account name (UPN local part, sAMAccountName, logon name). */
  accountNamePatterns: string[];
}

export interface PeopleRules {
  rules: MatchRule[];
  exclusions: Exclusions;
  /** `alias = canonical` domain pairs. */
  domainAliases: [string, string][];
  /** The organization's verified domains are aliases of its default domain (x@tenant.onmicrosoft.com). */
  tenantDomainsAreAliases: boolean;
}

export const EMAIL_NORMALISATION: Normalisation[] = [
  'trim',
  'lower-case',
  'strip-plus-address',
  'domain-alias',
];
const NAME_NORMALISATION: Normalisation[] = ['trim', 'lower-case', 'collapse-spaces'];

/** The rules every instance starts from. Names are off: two people share names, and a wrong link is worse than none. */
export const DEFAULT_RULES: PeopleRules = {
  rules: [
    {
      id: 'employee-id',
      description: 'the account carries the employee id HR gave the person',
      account: 'employeeId',
      person: 'employeeId',
      normalise: ['trim', 'lower-case'],
      priority: 100,
      confidence: 'high',
      enabled: true,
    },
    {
      id: 'on-premises-sid',
      description: 'the on-premises SID of the account is the one the roster lists',
      account: 'onPremisesSecurityIdentifier',
      person: 'onPremisesSid',
      normalise: ['trim', 'lower-case'],
      priority: 95,
      confidence: 'high',
      enabled: true,
    },
    {
      id: 'mail',
      description: 'the primary mail address is one of the person’s emails',
      account: 'mail',
      person: 'email',
      normalise: EMAIL_NORMALISATION,
      priority: 90,
      confidence: 'high',
      enabled: true,
    },
    {
      id: 'mail-alias',
      description: 'another mail address of the account (otherMails) is one of the person’s emails',
      account: 'otherMails',
      person: 'email',
      normalise: EMAIL_NORMALISATION,
      priority: 85,
      confidence: 'high',
      enabled: true,
    },
    {
      id: 'user-principal-name',
      description: 'the sign-in name is one of the person’s emails',
      account: 'userPrincipalName',
      person: 'email',
      normalise: EMAIL_NORMALISATION,
      priority: 80,
      confidence: 'high',
      enabled: true,
    },
    {
      id: 'sam-account-name',
      description: 'the on-premises sAMAccountName is the one the roster lists',
      account: 'onPremisesSamAccountName',
      person: 'samAccountName',
      normalise: ['trim', 'lower-case'],
      priority: 70,
      confidence: 'medium',
      enabled: true,
    },
    {
      id: 'name',
      description: 'display name, or first and last name, equal (opt-in: names are not unique)',
      account: 'firstAndLastName',
      person: 'firstAndLastName',
      normalise: NAME_NORMALISATION,
      priority: 10,
      confidence: 'low',
      enabled: false,
    },
  ],
  exclusions: {
    userTypes: ['Guest'],
    employeeTypes: ['bot', 'service', 'shared', 'generic', 'system'],
    accountNamePatterns: [
      '^svc[._-]',
      '^service[._-]',
      '^shared[._-]',
      '^(no-?reply|do-?not-?reply)',
      '^(administrator|guest|support|kiosk|defaultuser\\d*|krbtgt)$',
      'admin\\d*$',
      '\\$$',
    ],
  },
  domainAliases: [],
  tenantDomainsAreAliases: true,
};

export class PeopleRulesError extends Error {
  override name = 'PeopleRulesError';
}

/** The defaults with a validated rules file applied: rules merge by id, exclusions replace, aliases add. */
export function mergeRules(file: RulesFile, defaults: PeopleRules = DEFAULT_RULES): PeopleRules {
  const rules = new Map(defaults.rules.map((r) => [r.id, r]));
  for (const change of file.rules ?? []) {
    const base = rules.get(change.id);
    if (!base && (!change.account || !change.person))
      throw new PeopleRulesError(
        `rule "${change.id}" is new, so it needs both "account" and "person"`,
      );
    rules.set(change.id, {
      description: '',
      normalise: ['trim', 'lower-case'],
      priority: 50,
      confidence: 'medium',
      enabled: true,
      ...base,
      ...(Object.fromEntries(
        Object.entries(change).filter(([, v]) => v !== undefined),
      ) as Partial<MatchRule>),
    } as MatchRule);
  }
  return {
    rules: [...rules.values()].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id)),
    exclusions: { ...defaults.exclusions, ...file.exclusions },
    domainAliases: [
      ...defaults.domainAliases,
      ...(file.domainAliases ?? []).map(
        (pair) => pair.split('=').map((d) => d.trim().toLowerCase()) as [string, string],
      ),
    ],
    tenantDomainsAreAliases: file.tenantDomainsAreAliases ?? defaults.tenantDomainsAreAliases,
  };
}

/** Applies a rule's normalisations to one value; `aliases` maps alias domain → canonical domain. */
export function normalise(
  value: string,
  steps: readonly Normalisation[],
  aliases: ReadonlyMap<string, string>,
): string {
  let v = value;
  for (const step of steps) {
    if (step === 'trim') v = v.trim();
    else if (step === 'lower-case') v = v.toLowerCase();
    else if (step === 'collapse-spaces') v = v.replace(/\s+/g, ' ');
    else {
      const at = v.lastIndexOf('@');
      if (at < 0) continue;
      const local = v.slice(0, at);
      const domain = v.slice(at + 1);
      v =
        step === 'strip-plus-address'
          ? `${local.split('+')[0]}@${domain}`
          : `${local}@${aliases.get(domain.toLowerCase()) ?? domain}`;
    }
  }
  return v;
}
