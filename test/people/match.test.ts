import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  domainAliasMap,
  PeopleMatcher,
  type AccountRecord,
  type PersonRecord,
} from '../../src/people/match.js';
import { DEFAULT_RULES, normalise } from '../../src/people/rules.js';
import { parseRulesFile } from '../../src/people/rules-file.js';

const TENANT = {
  defaultDomain: 'contoso.com',
  verifiedDomains: ['contoso.onmicrosoft.com', 'contoso.com'],
};

function matcher(people: PersonRecord[], rules = DEFAULT_RULES): PeopleMatcher {
  const m = new PeopleMatcher(rules, domainAliasMap(rules, TENANT));
  for (const p of people) m.addPerson(p);
  return m;
}

const person = (key: string, values: PersonRecord['values'], employeeType?: string) => ({
  key,
  values,
  employeeType,
});
const user = (
  key: string,
  values: AccountRecord['values'],
  extra: Partial<AccountRecord> = {},
): AccountRecord => ({ key, kind: 'user', values, accountNames: [], ...extra });

describe('PeopleMatcher with the default rules', () => {
  const people = [
    person('employee:E1', {
      employeeId: ['E1'],
      email: ['Ann.Bell+hr@CONTOSO.onmicrosoft.com'],
      firstAndLastName: ['Ann Bell'],
    }),
    person('employee:E2', { employeeId: ['E2'], email: ['bo@contoso.com', 'shared@contoso.com'] }),
    person('employee:E3', { employeeId: ['E3'], email: ['shared@contoso.com'] }),
    person('employee:E4', { employeeId: ['E4'], firstAndLastName: ['Ann Bell'] }),
    person('employee:S1', { employeeId: ['S1'], email: ['bot@contoso.com'] }, 'service'),
  ];
  const m = matcher(people);

  it('links through plus-addressing, case and the tenant domain alias', () => {
    expect(m.match(user('u1', { mail: ['ann.bell@contoso.com'] })).link).toEqual({
      personKey: 'employee:E1',
      matchedOn: 'mail',
      value: 'ann.bell@contoso.com',
      confidence: 'high',
    });
  });

  it('lets the highest-priority rule that finds anyone decide', () => {
    const outcome = m.match(user('u2', { employeeId: [' e2 '], mail: ['ann.bell@contoso.com'] }));
    expect(outcome.link?.personKey).toBe('employee:E2');
    expect(outcome.link?.matchedOn).toBe('employee-id');
  });

  it('gives an account matching two people no link and reports the conflict', () => {
    expect(m.match(user('u3', { userPrincipalName: ['SHARED@contoso.com'] }))).toEqual({
      accountKey: 'u3',
      conflict: {
        matchedOn: 'user-principal-name',
        personKeys: ['employee:E2', 'employee:E3'],
        values: ['shared@contoso.com'],
      },
    });
  });

  it('never links on a name by default', () => {
    expect(m.match(user('u4', { firstAndLastName: ['ann bell'] }))).toEqual({ accountKey: 'u4' });
  });

  it('excludes guests, service types and service-looking names before matching', () => {
    expect(m.match(user('g', { mail: ['bo@contoso.com'] }, { userType: 'Guest' })).excluded).toBe(
      'userType Guest is excluded',
    );
    expect(
      m.match(user('s', { mail: ['bo@contoso.com'] }, { accountNames: ['svc_backup'] })).excluded,
    ).toBe('account name "svc_backup" matches exclusion /^svc[._-]/');
    expect(m.match(user('b', { mail: ['bot@contoso.com'] })).link).toBeUndefined();
  });

  it('traces every rule, in priority order, with what it compared', () => {
    const outcome = m.match(user('u5', { mail: ['bo@contoso.com'], employeeId: ['E9'] }), true);
    expect(outcome.trials?.map((t) => [t.rule, t.outcome])).toEqual([
      ['employee-id', 'no match'],
      ['on-premises-sid', 'no match'],
      ['mail', 'linked'],
      ['mail-alias', 'no match'],
      ['user-principal-name', 'no match'],
      ['sam-account-name', 'no match'],
      ['name', 'disabled'],
    ]);
    expect(outcome.trials?.[0]?.compared).toEqual(['e9']);
  });
});

describe('the opt-in name rule', () => {
  const rules = parseRulesFile('mapping.yaml', 'rules:\n  - id: name\n    enabled: true\n');

  it('links on a unique name with low confidence, and two namesakes are a conflict', () => {
    const m = matcher(
      [
        person('employee:E1', { firstAndLastName: ['Ann  Bell'] }),
        person('employee:E2', { firstAndLastName: ['Bo Chu'] }),
        person('employee:E3', { firstAndLastName: ['bo chu'] }),
      ],
      rules,
    );
    expect(m.match(user('u1', { firstAndLastName: ['Ann Bell'] })).link).toEqual({
      personKey: 'employee:E1',
      matchedOn: 'name',
      value: 'ann bell',
      confidence: 'low',
    });
    expect(m.match(user('u2', { firstAndLastName: ['Bo Chu'] })).conflict?.personKeys).toEqual([
      'employee:E2',
      'employee:E3',
    ]);
  });
});

describe('rules files', () => {
  const error = (text: string) => {
    try {
      parseRulesFile('mapping.yaml', text);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('no error');
  };

  it('name the line of a bad field, an unknown key or a bad pattern', () => {
    expect(error('rules:\n  - id: mail\n    priority: high\n')).toBe(
      'mapping.yaml:3: rules.0.priority: Invalid input: expected number, received string',
    );
    expect(error('rules:\n  - id: mail\n    colour: red\n')).toBe(
      'mapping.yaml:3: rules.0: Unrecognized key: "colour"',
    );
    expect(error('exclusions:\n  accountNamePatterns:\n    - "^ok"\n    - "(unclosed"\n')).toMatch(
      /^mapping\.yaml:4: Invalid regular expression/,
    );
    expect(error('domainAliases:\n  - contoso.net\n')).toBe(
      "mapping.yaml:2: domainAliases.0: must read 'alias.domain = canonical.domain'",
    );
    expect(error('rules:\n  - id: badge\n    priority: 60\n')).toBe(
      'mapping.yaml: rule "badge" is new, so it needs both "account" and "person"',
    );
  });

  it('merge rules by id, add domain aliases and keep the name rule off unless enabled', () => {
    const rules = parseRulesFile(
      'mapping.yaml',
      'rules:\n  - id: badge\n    account: employeeId\n    person: samAccountName\n    priority: 60\ndomainAliases:\n  - fabrikam.com = contoso.com\n',
    );
    expect(rules.rules.map((r) => `${r.id}:${r.priority}:${r.enabled}`)).toEqual([
      'employee-id:100:true',
      'on-premises-sid:95:true',
      'mail:90:true',
      'mail-alias:85:true',
      'user-principal-name:80:true',
      'sam-account-name:70:true',
      'badge:60:true',
      'name:10:false',
    ]);
    expect(rules.domainAliases).toEqual([['fabrikam.com', 'contoso.com']]);
  });
});

describe('normalise', () => {
  const aliases = new Map([['contoso.onmicrosoft.com', 'contoso.com']]);
  const steps = DEFAULT_RULES.rules.find((r) => r.id === 'mail')!.normalise;

  it('is idempotent and ignores case, padding and plus tags of any address', () => {
    const local = fc.stringMatching(/^[a-z0-9.]{1,10}$/);
    fc.assert(
      fc.property(local, fc.stringMatching(/^[a-z0-9]{0,6}$/), (name, tag) => {
        const plain = normalise(`${name}@contoso.com`, steps, aliases);
        const variant = ` ${name.toUpperCase()}${tag ? `+${tag}` : ''}@CONTOSO.onmicrosoft.com `;
        expect(normalise(variant, steps, aliases)).toBe(plain);
        expect(normalise(plain, steps, aliases)).toBe(plain);
      }),
    );
  });
});
