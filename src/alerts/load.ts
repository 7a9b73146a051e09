/**
 * Reads rule files (YAML or JSON): JupiterOne rule objects, the `[{instance: …}]` CLI form, rule
 * packs (merged with their defaults as jupiterone-client-nodejs provisions them), our change
 * rules and managed `questions.yaml`. Every error names the file, the rule and the field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { omit } from '../util/omit.js';
import {
  changeRuleSchema,
  PACK_DEFAULTS,
  packDefaultsSchema,
  packRuleSchema,
  ruleSchema,
  type LoadedRule,
  type Operation,
  type PackDefaults,
  type PackRule,
  type RuleObject,
} from './rule-format.js';

export class RuleError extends Error {
  override name = 'RuleError';
}

/** A saved question (questions.yaml): what a rule's `questionId` refers to. */
export interface SavedQuestion {
  id: string;
  title: string;
  description?: string;
  queries: { name?: string; query: string; resultsAre?: string | null }[];
  tags?: string[];
}

export interface LoadedRules {
  rules: LoadedRule[];
  questions: SavedQuestion[];
}

const RULE_FILE = /\.(ya?ml|json)$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      const field =
        issue.code === 'unrecognized_keys' ? [path, issue.keys[0]].filter(Boolean).join('.') : path;
      return `${field || '(rule)'}: ${issue.message}`;
    })
    .join('; ');
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RuleError(`${where}: ${describe(parsed.error.issues)}`);
  return parsed.data;
}

/**
 * A pack rule as a rule object: `{...defaults, name, description, question: {queries},
 * operations}`, where an `alertLevel` replaces the defaults' actions with SET_PROPERTY of that
 * level and CREATE_ALERT under the defaults' `when`. Operations and templates the pack rule
 * carries itself are kept (the in-app import does; the CLI would drop them).
 */
export function mergePackRule(rule: PackRule, defaults: PackDefaults = PACK_DEFAULTS): RuleObject {
  let operations: Operation[] = defaults.operations;
  if (rule.operations) operations = rule.operations;
  else if (rule.alertLevel)
    operations = [
      {
        when: defaults.operations[0]!.when,
        actions: [
          { type: 'SET_PROPERTY', targetProperty: 'alertLevel', targetValue: rule.alertLevel },
          { type: 'CREATE_ALERT' },
        ],
      },
    ];
  return {
    ...omit(defaults, 'operations'),
    name: rule.name,
    description: rule.description,
    question: { queries: rule.queries },
    operations,
    ...(rule.templates && { templates: rule.templates }),
    ...(rule.labels && { labels: rule.labels as RuleObject['labels'] }),
  };
}

type ItemShape = 'instance' | 'pack' | 'change' | 'rule' | 'defaults' | 'question';

function shapeOf(item: Record<string, unknown>): ItemShape | undefined {
  if (isRecord(item.instance)) return 'instance';
  if (isRecord(item.change)) return 'change';
  if ('question' in item || 'questionId' in item) return 'rule';
  if (typeof item.title === 'string' && (Array.isArray(item.queries) || isRecord(item.queries)))
    return 'question';
  if (Array.isArray(item.queries)) return 'pack';
  if (item.name === undefined && Array.isArray(item.operations)) return 'defaults';
  return undefined;
}

/** Names the query at each position `query<index>` when it has none. */
function withQueryNames(rule: RuleObject): RuleObject {
  if (!rule.question) return rule;
  return {
    ...rule,
    question: {
      ...rule.question,
      queries: rule.question.queries.map((q, i) => ({ ...q, name: q.name ?? `query${i}` })),
    },
  };
}

/**
 * Rules from parsed items. Defaults objects (`defaultAlertSettings`, operations-only fragments)
 * apply to the pack rules after them in the same source.
 */
export function rulesFromItems(items: unknown[], origin: string): LoadedRules {
  const loaded: LoadedRules = { rules: [], questions: [] };
  let defaults = PACK_DEFAULTS;
  items.forEach((item, index) => {
    const label = isRecord(item) && typeof item.name === 'string' ? ` (${item.name})` : '';
    const where = `${origin}: rule ${index + 1}${label}`;
    if (!isRecord(item)) throw new RuleError(`${where}: expected an object`);
    const shape = shapeOf(item);
    switch (shape) {
      case 'instance': {
        const rule = withQueryNames(parseWith(ruleSchema, item.instance, `${where} instance`));
        loaded.rules.push({ kind: 'query', name: rule.name, origin, rule });
        return;
      }
      case 'rule': {
        const rule = withQueryNames(parseWith(ruleSchema, item, where));
        loaded.rules.push({ kind: 'query', name: rule.name, origin, rule });
        return;
      }
      case 'pack': {
        const rule = withQueryNames(
          mergePackRule(parseWith(packRuleSchema, item, where), defaults),
        );
        loaded.rules.push({ kind: 'query', name: rule.name, origin, rule });
        return;
      }
      case 'change': {
        const rule = parseWith(changeRuleSchema, item, where);
        loaded.rules.push({ kind: 'change', name: rule.name, origin, rule });
        return;
      }
      case 'defaults': {
        const fragment = parseWith(packDefaultsSchema, item, where);
        defaults = { ...PACK_DEFAULTS, ...fragment };
        return;
      }
      case 'question':
        loaded.questions.push(questionFrom(item, where));
        return;
      default:
        throw new RuleError(
          `${where}: not a rule: expected question.queries (rule object), queries (rule pack), change (change rule), instance ([{instance: …}]) or operations (pack defaults)`,
        );
    }
  });
  return loaded;
}

/** One question of questions.yaml; `queries` may be one mapping instead of a list. */
function questionFrom(item: Record<string, unknown>, where: string): SavedQuestion {
  const raw = Array.isArray(item.queries)
    ? item.queries
    : isRecord(item.queries)
      ? [item.queries]
      : [];
  const queries = raw.map((q, i) => {
    if (!isRecord(q) || typeof q.query !== 'string' || q.query.trim() === '')
      throw new RuleError(`${where}: queries.${i}.query: required (J1QL text)`);
    return {
      ...(typeof q.name === 'string' && { name: q.name }),
      query: q.query,
      resultsAre: typeof q.resultsAre === 'string' ? q.resultsAre : null,
    };
  });
  if (queries.length === 0)
    throw new RuleError(`${where}: queries: at least one query is required`);
  const title = String(item.title);
  return {
    id: typeof item.id === 'string' ? item.id : title,
    title,
    ...(typeof item.description === 'string' && { description: item.description }),
    queries,
    ...(Array.isArray(item.tags) && { tags: item.tags.map(String) }),
  };
}

/** Parsed documents of a file as a list of items (a top-level list, `questions:`, or one object). */
function itemsOf(value: unknown, origin: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (isRecord(value) && Array.isArray(value.questions)) {
    if (typeof value.sourceId !== 'string' && value.sourceId !== undefined)
      throw new RuleError(`${origin}: sourceId: must be a string`);
    return value.questions.map((q) => (isRecord(q) ? { ...q, title: q.title ?? q.id } : q));
  }
  if (isRecord(value)) return [value];
  throw new RuleError(`${origin}: expected a rule, a list of rules or questions:`);
}

export function parseRuleText(text: string, origin: string): LoadedRules {
  const docs = parseAllDocuments(text);
  const items: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line;
      throw new RuleError(
        `${origin}${line ? `:${line}` : ''}: not valid YAML or JSON (${error.message.split('\n')[0]})`,
      );
    }
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) items.push(...itemsOf(value, origin));
  }
  return rulesFromItems(items, origin);
}

export function loadRuleFile(file: string): LoadedRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuleError(`${file}: cannot read the rule file (${(err as Error).message})`);
  }
  return parseRuleText(text, file);
}

/** Every `*.yaml`, `*.yml`, `*.json` of a folder (sorted), one rule name once across them. */
export function loadRuleFolder(folder: string): LoadedRules {
  const files = readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isFile() && RULE_FILE.test(e.name) && extname(e.name) !== '')
    .map((e) => join(folder, e.name))
    .sort();
  return mergeLoaded(files.map(loadRuleFile));
}

/** Several sources as one set; a rule name defined twice is an error naming both origins. */
export function mergeLoaded(sets: LoadedRules[]): LoadedRules {
  const rules = new Map<string, LoadedRule>();
  const questions: SavedQuestion[] = [];
  for (const set of sets) {
    for (const rule of set.rules) {
      const seen = rules.get(rule.name);
      if (seen)
        throw new RuleError(
          `${rule.origin}: rule "${rule.name}": name already defined in ${seen.origin} (rule names are unique)`,
        );
      rules.set(rule.name, rule);
    }
    questions.push(...set.questions);
  }
  return { rules: [...rules.values()], questions };
}
