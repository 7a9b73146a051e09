import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFENDER_RULES_FOLDER,
  loadRuleFile,
  loadRuleFolder,
  parseRuleText,
  rulesFromItems,
} from '../../src/alerts/index.js';

const CORPUS = resolve('../shared/reference/j1ql-corpus/alert-rules.jsonl');

function corpus(): { source: string; format: string; rule: unknown }[] {
  return readFileSync(CORPUS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { source: string; format: string; rule: unknown });
}

describe('rule loading', () => {
  it('loads every one of the 557 corpus rules; defaults objects and the operations fragment load as pack defaults', () => {
    const entries = corpus();
    expect(entries).toHaveLength(557);
    let rules = 0;
    for (const entry of entries) {
      const loaded = rulesFromItems([entry.rule], entry.source);
      rules += loaded.rules.length;
    }
    // 557 minus the 2 defaultAlertSettings objects and the 1 operations-only fragment.
    expect(rules).toBe(554);
  });

  it('merges a pack rule with an alertLevel as provisionAlertRulePack does', () => {
    const [rule] = rulesFromItems(
      [
        {
          name: 'aws-root-mfa',
          description: 'Root without MFA',
          alertLevel: 'CRITICAL',
          queries: [{ query: 'FIND aws_account WITH mfaEnabled != true' }],
        },
      ],
      'pack.json',
    ).rules;
    expect(rule).toEqual({
      kind: 'query',
      name: 'aws-root-mfa',
      origin: 'pack.json',
      rule: {
        specVersion: 1,
        pollingInterval: 'ONE_DAY',
        outputs: ['queries.query0.total', 'alertLevel'],
        name: 'aws-root-mfa',
        description: 'Root without MFA',
        question: {
          queries: [{ name: 'query0', query: 'FIND aws_account WITH mfaEnabled != true' }],
        },
        operations: [
          {
            when: { type: 'FILTER', specVersion: 1, condition: '{{queries.query0.total > 0}}' },
            actions: [
              { type: 'SET_PROPERTY', targetProperty: 'alertLevel', targetValue: 'CRITICAL' },
              { type: 'CREATE_ALERT' },
            ],
          },
        ],
      },
    });
  });

  it('gives a pack rule without alertLevel the defaults of the defaults object before it (npm 0.3.0 array condition)', () => {
    const npmDefaults = corpus().find(
      (e) => e.source.startsWith('npm:') && e.format === 'rule-pack-defaults',
    )!;
    const [rule] = rulesFromItems(
      [
        npmDefaults.rule,
        { name: 'r', description: 'd', queries: [{ name: 'q', query: 'FIND User' }] },
      ],
      'pack.yaml',
    ).rules;
    expect(rule!.kind === 'query' && rule!.rule.operations).toEqual([
      {
        when: {
          type: 'FILTER',
          specVersion: 1,
          condition: ['AND', ['queries.query0.total', '>', 0]],
        },
        actions: [
          { type: 'SET_PROPERTY', targetProperty: 'alertLevel', targetValue: 'HIGH' },
          { type: 'CREATE_ALERT' },
        ],
      },
    ]);
    expect(rule!.kind === 'query' && rule!.rule.outputs).toEqual(['alertLevel']);
  });

  it('reads the [{instance: …}] form and managed questions.yaml (queries as one mapping tolerated)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-rules-'));
    writeFileSync(
      join(dir, 'cli.json'),
      JSON.stringify([
        {
          instance: { name: 'x', question: { queries: [{ query: 'FIND User' }] }, operations: [] },
        },
      ]),
    );
    writeFileSync(
      join(dir, 'questions.yaml'),
      `---
sourceId: managed:defender
integrationDefinitionId: '\${integration_definition_id}'
questions:
  - id: integration-question-defender-admins
    title: Which domain admins log on to machines?
    description: Domain admins seen on machines.
    queries:
      name: good
      query: FIND microsoft_defender_logon_user WITH isDomainAdmin = true
      resultsAre: INFORMATIVE
    tags: [defender]
`,
    );
    const loaded = loadRuleFolder(dir);
    expect(
      loaded.rules.map((r) => [r.name, r.kind === 'query' && r.rule.question?.queries]),
    ).toEqual([['x', [{ name: 'query0', query: 'FIND User' }]]]);
    expect(loaded.questions).toEqual([
      {
        id: 'integration-question-defender-admins',
        title: 'Which domain admins log on to machines?',
        description: 'Domain admins seen on machines.',
        queries: [
          {
            name: 'good',
            query: 'FIND microsoft_defender_logon_user WITH isDomainAdmin = true',
            resultsAre: 'INFORMATIVE',
          },
        ],
        tags: ['defender'],
      },
    ]);
  });

  it('names the file, the rule and the field of a rule that cannot load', () => {
    expect(() =>
      parseRuleText(
        `- name: bad-level
  alertLevel: SEVERE
  queries: [{ query: FIND User }]
`,
        'rules/team.yaml',
      ),
    ).toThrow(
      'rules/team.yaml: rule 1 (bad-level): alertLevel: Invalid option: expected one of "INFO"|"LOW"|"MEDIUM"|"HIGH"|"CRITICAL"',
    );
    expect(() =>
      parseRuleText(
        JSON.stringify([
          { name: 'ok', queries: [{ query: 'FIND User' }] },
          { name: 'nq', question: { queries: [{ name: 'bad-name', query: 'FIND User' }] } },
        ]),
        'r.json',
      ),
    ).toThrow('r.json: rule 2 (nq): question.queries.0.name: must be letters, digits or _');
    expect(() => parseRuleText('- name: c\n  change: { on: [moved] }\n', 'c.yaml')).toThrow(
      'c.yaml: rule 1 (c): change.on.0: Invalid option: expected one of "created"|"updated"|"deleted"',
    );
    expect(() => parseRuleText('- name: x\n  foo: 1\n', 'x.yaml')).toThrow(
      'x.yaml: rule 1 (x): not a rule: expected question.queries (rule object), queries (rule pack), change (change rule), instance ([{instance: …}]) or operations (pack defaults)',
    );
    expect(() => parseRuleText('- name: [unclosed\n', 'y.yaml')).toThrow(
      /^y\.yaml:\d+: not valid YAML or JSON/,
    );
    expect(() => loadRuleFile('/nonexistent/rules.yaml')).toThrow(
      /^\/nonexistent\/rules\.yaml: cannot read the rule file/,
    );
  });

  it('ships the Defender pack: 6 query rules and 7 change rules', () => {
    const loaded = loadRuleFolder(DEFENDER_RULES_FOLDER);
    expect(loaded.rules.filter((r) => r.kind === 'query')).toHaveLength(6);
    expect(loaded.rules.filter((r) => r.kind === 'change')).toHaveLength(7);
  });
});
