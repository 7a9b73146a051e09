/** Reads an instance's `people.rules` YAML file and merges it over the defaults; errors name the line. */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import {
  DEFAULT_RULES,
  mergeRules,
  PeopleRulesError,
  rulesFileSchema,
  type PeopleRules,
} from './rules.js';

function lineOf(doc: Document, lineCounter: LineCounter, path: (string | number)[]): number {
  for (let depth = path.length; depth > 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

export function parseRulesFile(file: string, text: string): PeopleRules {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const [error] = doc.errors;
  if (error)
    throw new PeopleRulesError(
      `${file}:${lineCounter.linePos(error.pos[0]).line}: ${error.message.split('\n')[0]}`,
    );
  const parsed = rulesFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const linePath =
      issue.code === 'unrecognized_keys' ? [...path, ...issue.keys.slice(0, 1)] : path;
    throw new PeopleRulesError(
      `${file}:${lineOf(doc, lineCounter, linePath)}: ${path.join('.') || '(top level)'}: ${issue.message}`,
    );
  }
  for (const [i, pattern] of (parsed.data.exclusions?.accountNamePatterns ?? []).entries()) {
    try {
      new RegExp(pattern, 'i');
    } catch (err) {
      throw new PeopleRulesError(
        `${file}:${lineOf(doc, lineCounter, ['exclusions', 'accountNamePatterns', i])}: ${(err as Error).message}`,
      );
    }
  }
  try {
    return mergeRules(parsed.data);
  } catch (err) {
    throw new PeopleRulesError(`${file}: ${(err as Error).message}`);
  }
}

/** The instance's rules: its file merged over the defaults, or the defaults. */
export function loadPeopleRules(path: string | undefined): PeopleRules {
  if (path === undefined) return DEFAULT_RULES;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PeopleRulesError(`${path}: cannot read the people rules: ${(err as Error).message}`);
  }
  return parseRulesFile(path, text);
}
