import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkQuery } from '../../src/query/engine.js';
import { NotSupportedError, QueryError, QuerySyntaxError } from '../../src/query/errors.js';
import { parseQuery } from '../../src/query/parser.js';

// The corpus is shared reference material kept beside the repository (../shared), as in CI.
const CORPUS = join(import.meta.dirname, '../../../shared/reference/j1ql-corpus');
if (!existsSync(CORPUS)) throw new Error(`the J1QL corpus is missing: expected ${CORPUS}`);

interface CorpusQuery {
  query: string;
  source: string;
  ci_validated?: string;
  source_says_invalid?: boolean;
  lint?: string[];
}

const queries = readFileSync(`${CORPUS}/queries.jsonl`, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as CorpusQuery);

interface RuleLine {
  source: string;
  format: string;
  rule: {
    name?: string;
    queries?: { query: string }[];
    question?: { queries?: { query: string }[] };
  };
}

const ruleQueries = readFileSync(`${CORPUS}/alert-rules.jsonl`, 'utf8')
  .trim()
  .split('\n')
  .flatMap((line) => {
    const { source, format, rule } = JSON.parse(line) as RuleLine;
    return [...(rule.queries ?? []), ...(rule.question?.queries ?? [])].map((q) => ({
      source: `${source}#${rule.name ?? ''}`,
      // Rule packs run JupiterOne's parser in CI; docs examples may hold placeholders.
      validated: format.startsWith('rule-pack'),
      query: q.query,
    }));
  });

function outcome(text: string): 'parses' | 'syntax' {
  try {
    parseQuery(text);
    return 'parses';
  } catch (err) {
    // A rejection is always a typed error with a position, never a crash.
    expect(err).toBeInstanceOf(QuerySyntaxError);
    expect((err as QuerySyntaxError).message).toMatch(/^line \d+, column \d+: /);
    return 'syntax';
  }
}

describe('the shared J1QL corpus', () => {
  it('parses at least 95% of the queries their source validated with JupiterOne’s parser', () => {
    const validated = queries.filter((q) => q.ci_validated);
    const failed = validated.filter((q) => outcome(q.query) !== 'parses');
    const share = (validated.length - failed.length) / validated.length;
    console.log(
      `corpus: ${validated.length - failed.length}/${validated.length} validated queries parse (${(share * 100).toFixed(1)}%)`,
    );
    expect(validated.length).toBe(1015);
    expect(share).toBeGreaterThanOrEqual(0.95);
  });

  it('parses every query or rejects it with a positioned syntax error', () => {
    const counts = { parses: 0, syntax: 0 };
    for (const q of queries) counts[outcome(q.query)]++;
    console.log(
      `corpus: all ${queries.length} queries: ${counts.parses} parse, ${counts.syntax} syntax errors`,
    );
    expect(counts.parses + counts.syntax).toBe(queries.length);
    expect(counts.parses).toBeGreaterThan(2000);
  });

  it('rejects the published queries with unbalanced parentheses', () => {
    const linted = queries.filter((q) => q.lint?.includes('unbalanced_parens'));
    expect(linted).toHaveLength(3);
    for (const q of linted) expect(outcome(q.query)).toBe('syntax');
  });

  it('rejects the examples their source calls invalid, or reads them the documented way', () => {
    const invalid = queries.filter((q) => q.source_says_invalid).map((q) => q.query);
    const verdict = (text: string) => {
      try {
        checkQuery(text);
        return 'accepted';
      } catch (err) {
        expect(err).toBeInstanceOf(QueryError);
        return 'rejected';
      }
    };
    // Deliberate extensions (docs/j1ql.md): the older alias-before-WITH form (j1ql.md §2), and
    // LIMIT on an aggregate table, which the vendor's style guide discourages but means rows.
    const extensions = [
      "FIND Device AS dev WITH name~='TEST'",
      'FIND * AS ent RETURN ent._class, COUNT(ent) LIMIT 50',
    ];
    expect(invalid).toHaveLength(6);
    for (const text of extensions) expect(verdict(text)).toBe('accepted');
    for (const text of invalid.filter((t) => !extensions.includes(t)))
      expect(verdict(text), text).toBe('rejected');
  });

  it('parses every query of every alert rule, and checks them fully or says why not', () => {
    expect(ruleQueries.length).toBeGreaterThan(540);
    const rejected = new Map<string, number>();
    let checked = 0;
    for (const { query, validated } of ruleQueries) {
      const parsed = outcome(query);
      if (validated) expect(parsed, query).toBe('parses');
      if (parsed !== 'parses') continue;
      try {
        checkQuery(query);
        checked++;
      } catch (err) {
        // Not supported, or a real mistake in the published rule (e.g. `cm,displayName`).
        expect(err, query).toBeInstanceOf(QueryError);
        const reason = (err as Error).message.replace(/^line \d+, column \d+: /, '');
        const key = err instanceof NotSupportedError ? reason : `invalid: ${reason}`;
        rejected.set(key, (rejected.get(key) ?? 0) + 1);
      }
    }
    console.log(
      `alert rules: ${checked}/${ruleQueries.length} queries pass --check`,
      Object.fromEntries(rejected),
    );
    expect(checked / ruleQueries.length).toBeGreaterThanOrEqual(0.95);
  });
});
