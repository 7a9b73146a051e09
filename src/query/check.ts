import { checkQuery } from './engine.js';
import { NotSupportedError, QueryError, QuerySyntaxError } from './errors.js';

export type CheckResult =
  | { line: number; ok: true }
  | {
      line: number;
      ok: false;
      error: {
        kind: 'syntax' | 'not_supported' | 'invalid';
        message: string;
        /** Line and column inside the query text. */
        queryLine?: number;
        column?: number;
      };
    };

/** A line is either J1QL text or a JSON object with a `query` field (rule packs, question files). */
function queryOfLine(line: string): string {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  const parsed: unknown = JSON.parse(trimmed);
  const query = (parsed as { query?: unknown }).query;
  if (typeof query !== 'string') throw new QueryError('the JSON line has no string "query" field');
  return query;
}

function failure(line: number, err: unknown): CheckResult {
  if (!(err instanceof Error)) throw err;
  const kind =
    err instanceof QuerySyntaxError || err instanceof SyntaxError
      ? 'syntax'
      : err instanceof NotSupportedError
        ? 'not_supported'
        : 'invalid';
  if (!(err instanceof QueryError) && !(err instanceof SyntaxError)) throw err;
  const position = err instanceof QueryError ? { queryLine: err.line, column: err.column } : {};
  return { line, ok: false, error: { kind, message: err.message, ...position } };
}

/** Checks every non-blank line of a file; never runs anything. */
export function checkLines(text: string): CheckResult[] {
  const results: CheckResult[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === '') return;
    const line = index + 1;
    try {
      checkQuery(queryOfLine(raw));
      results.push({ line, ok: true });
    } catch (err) {
      results.push(failure(line, err));
    }
  });
  return results;
}
