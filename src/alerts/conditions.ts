/**
 * A rule operation's `when`: the array form `[AND|OR, clause, …]` (clauses `[path, op, value]`,
 * nested groups, or one bare triple) and the `{{template}}` form tested for truthiness.
 */
import { readPath, type TemplateRenderer } from './templates.js';

export class ConditionError extends Error {
  override name = 'ConditionError';
}

const COMPARE: Record<string, (a: unknown, b: unknown) => boolean> = {
  '>': (a, b) => (a as number) > (b as number),
  '<': (a, b) => (a as number) < (b as number),
  '>=': (a, b) => (a as number) >= (b as number),
  '<=': (a, b) => (a as number) <= (b as number),
  // JupiterOne's condition builder compares loosely (a count against "0" holds).
  '=': (a, b) => a == b,
  '==': (a, b) => a == b,
  '===': (a, b) => a === b,
  '!=': (a, b) => a != b,
  '!==': (a, b) => a !== b,
};

function clause(value: unknown[], context: Record<string, unknown>): boolean {
  const [first, ...rest] = value;
  if (first === 'AND' || first === 'OR') {
    if (rest.length === 0) throw new ConditionError(`"${first}" needs at least one clause`);
    const results = rest.map((c) => {
      if (!Array.isArray(c)) throw new ConditionError(`clause ${JSON.stringify(c)} is not a list`);
      return clause(c, context);
    });
    return first === 'AND' ? results.every(Boolean) : results.some(Boolean);
  }
  if (value.length !== 3 || typeof first !== 'string')
    throw new ConditionError(
      `Invalid conjunction operator or clause ${JSON.stringify(value)}: expected ["AND"|"OR", …] or [path, operator, value]`,
    );
  const compare = COMPARE[String(value[1])];
  if (!compare)
    throw new ConditionError(`unknown operator "${String(value[1])}" in ${JSON.stringify(value)}`);
  return compare(readPath(context, first), value[2]);
}

/** Whether one condition holds. */
export function conditionHolds(
  condition: string | unknown[],
  context: Record<string, unknown>,
  templates: TemplateRenderer,
): boolean {
  if (typeof condition === 'string') return Boolean(templates.render(condition, context));
  return clause(condition, context);
}

/** A `when` (one condition or a list that must all hold); none means always. */
export function whenHolds(
  when: { condition: string | unknown[] } | { condition: string | unknown[] }[] | undefined,
  context: Record<string, unknown>,
  templates: TemplateRenderer,
): boolean {
  if (when === undefined) return true;
  const all = Array.isArray(when) ? when : [when];
  return all.every((w) => conditionHolds(w.condition, context, templates));
}
