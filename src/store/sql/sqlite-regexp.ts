import { StoreError } from './connection.js';

/**
 * SQLite has no regular expressions of its own; the store adds
 * `js_regexp(pattern, flags, text)`: 1 if JavaScript's `RegExp(pattern, flags)` matches anywhere
 * in `text`, 0 otherwise (also for non-text values, as PostgreSQL's `~` never matches them).
 */
export const REGEXP_FUNCTION = 'js_regexp';

/** Compiled patterns, so a scan over many rows compiles each pattern once; bounded for servers. */
const compiled = new Map<string, RegExp>();
const MAX_COMPILED = 256;

function compile(pattern: string, flags: string): RegExp {
  const key = `${flags}/${pattern}`;
  let regex = compiled.get(key);
  if (regex) return regex;
  try {
    regex = new RegExp(pattern, flags);
  } catch (err) {
    throw new StoreError(
      `invalid regular expression /${pattern}/${flags}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, regex);
  return regex;
}

export function jsRegexp(pattern: string, flags: string, text: unknown): number {
  return typeof text === 'string' && compile(pattern, flags).test(text) ? 1 : 0;
}
