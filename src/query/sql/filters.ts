import type { Comparison, ComparisonOperator, Filter, PropertyRef } from '../ast.js';
import { QueryValidationError } from '../errors.js';
import { resolveValues, type Literal, type ValueContext } from '../values.js';
import { RegexTranslationError, toPostgresRegex } from '../regex.js';
import type { Dialect, Element, Params, RegexPatterns, ValueSource } from './dialect.js';

export interface FilterContext {
  dialect: Dialect;
  params: Params;
  values: ValueContext;
  /** What a property reference means here (WITH: the selector's entity; WHERE: an alias). */
  source(ref: PropertyRef): ValueSource;
  /** Whether a property may appear on the right of a comparison (WHERE only). */
  propertyOnRight: boolean;
}

type PositiveOperator = '=' | '>' | '<' | '>=' | '<=' | '~=' | '^=' | '$=';

function positiveOf(op: ComparisonOperator): { op: PositiveOperator; negated: boolean } {
  return op.startsWith('!') && op !== '!='
    ? { op: op.slice(1) as PositiveOperator, negated: true }
    : op === '!='
      ? { op: '=', negated: true }
      : { op: op as PositiveOperator, negated: false };
}

/**
 * Balanced, so thousands of ORed comparisons nest log2(n) deep: databases refuse expression
 * trees deeper than about a thousand (SQLite's "Expression tree is too large").
 */
export function join(parts: string[], connective: 'and' | 'or'): string {
  if (parts.length === 1) return parts[0]!;
  const width = 16;
  if (parts.length > width) {
    const size = Math.ceil(parts.length / width);
    const groups: string[] = [];
    for (let i = 0; i < parts.length; i += size)
      groups.push(join(parts.slice(i, i + size), connective));
    return join(groups, connective);
  }
  return `(${parts.join(connective === 'and' ? ' AND ' : ' OR ')})`;
}

function anchored(patterns: RegexPatterns, op: PositiveOperator): RegexPatterns {
  const anchor = (pattern: string) =>
    op === '^=' ? `^(?:${pattern})` : op === '$=' ? `(?:${pattern})$` : pattern;
  return { javascript: anchor(patterns.javascript), postgres: anchor(patterns.postgres) };
}

/**
 * The pattern in both syntaxes. A bad pattern is the query's fault, and one PostgreSQL cannot
 * run with JavaScript's meaning is refused on every backend: say so before the database does.
 */
function regexPatterns(pattern: string, where: PropertyRef): RegexPatterns {
  const refuse = (reason: string) =>
    new QueryValidationError(
      `invalid regular expression /${pattern}/: ${reason}`,
      where.position.line,
      where.position.column,
    );
  try {
    new RegExp(pattern);
  } catch (err) {
    throw refuse(err instanceof Error ? err.message : String(err));
  }
  try {
    return { javascript: pattern, postgres: toPostgresRegex(pattern) };
  } catch (err) {
    if (err instanceof RegexTranslationError) throw refuse(`not supported: ${err.message}`);
    throw err;
  }
}

function literalPredicate(
  source: ValueSource,
  op: PositiveOperator,
  literal: Literal,
  ctx: FilterContext,
  where: PropertyRef,
): string {
  const { dialect, params } = ctx;
  const invalid = (what: string) =>
    new QueryValidationError(
      `${what} cannot be compared with ${op}`,
      where.position.line,
      where.position.column,
    );
  if (literal.kind === 'undefined') {
    if (op !== '=') throw invalid('undefined');
    return source.missing();
  }
  if (literal.kind === 'regex') {
    const patterns = anchored(regexPatterns(literal.pattern, where), op);
    return source.anyElement((e) =>
      e.guard('string', (t) => dialect.regexMatch(t, patterns, literal.caseInsensitive, params)),
    );
  }
  if (literal.kind === 'boolean') {
    if (op !== '=') throw invalid('a boolean');
    return source.anyElement((e) => e.isBoolean(literal.value));
  }
  if (literal.kind === 'number') {
    if (op === '~=' || op === '^=' || op === '$=') throw invalid('a number');
    const sqlOp = op === '=' ? '=' : op;
    return source.anyElement((e) =>
      e.guard('number', (n) => `${n} ${sqlOp} ${dialect.numberParam(params, literal.value)}`),
    );
  }
  const text = (t: string) => {
    const p = dialect.stringParam(params, literal.value);
    if (op === '~=') return dialect.contains(t, p);
    if (op === '^=') return dialect.startsWith(t, p);
    if (op === '$=') return dialect.endsWith(t, p);
    return `${t} ${op} ${p}`;
  };
  return source.anyElement((e) => e.guard('string', text));
}

/**
 * `= ('a' OR 'b' OR 3)`: the strings in one IN and the numbers in another, inside one element
 * walk (some element equals one of them), instead of a walk per value.
 */
function equalsAny(
  source: ValueSource,
  literals: Literal[],
  ctx: FilterContext,
  where: PropertyRef,
): string {
  const { dialect, params } = ctx;
  const strings = literals.flatMap((l) => (l.kind === 'string' ? [l.value] : []));
  const numbers = literals.flatMap((l) => (l.kind === 'number' ? [l.value] : []));
  const others = literals.filter((l) => l.kind !== 'string' && l.kind !== 'number');
  const sets: string[] = [];
  if (strings.length > 0 || numbers.length > 0)
    sets.push(
      source.anyElement((e) =>
        join(
          [
            ...(strings.length > 0
              ? [
                  e.guard(
                    'string',
                    (t) =>
                      `${t} IN (${strings.map((v) => dialect.stringParam(params, v)).join(', ')})`,
                  ),
                ]
              : []),
            ...(numbers.length > 0
              ? [
                  e.guard(
                    'number',
                    (n) =>
                      `${n} IN (${numbers.map((v) => dialect.numberParam(params, v)).join(', ')})`,
                  ),
                ]
              : []),
          ],
          'or',
        ),
      ),
    );
  return join(
    [...sets, ...others.map((literal) => literalPredicate(source, '=', literal, ctx, where))],
    'or',
  );
}

/** Two elements of two properties (WHERE a.x = b.y): same JSON type, then the operator. */
function pairPredicate(op: PositiveOperator, a: Element, b: Element, dialect: Dialect): string {
  const both = (kind: 'string' | 'number', body: (x: string, y: string) => string) =>
    a.guard(kind, (x) => b.guard(kind, (y) => body(x, y)));
  switch (op) {
    case '=':
      return `(${both('string', (x, y) => `${x} = ${y}`)} OR ${both('number', (x, y) => `${x} = ${y}`)} OR (${a.isBoolean(true)} AND ${b.isBoolean(true)}) OR (${a.isBoolean(false)} AND ${b.isBoolean(false)}))`;
    case '~=':
      return both('string', (x, y) => dialect.contains(x, y));
    case '^=':
      return both('string', (x, y) => dialect.startsWith(x, y));
    case '$=':
      return both('string', (x, y) => dialect.endsWith(x, y));
    default:
      return `(${both('string', (x, y) => `${x} ${op} ${y}`)} OR ${both('number', (x, y) => `${x} ${op} ${y}`)})`;
  }
}

function compileComparison(c: Comparison, ctx: FilterContext): string {
  const left = ctx.source(c.left);
  const { op, negated } = positiveOf(c.op);
  let condition: string;
  if (c.right.kind === 'property') {
    if (!ctx.propertyOnRight)
      throw new QueryValidationError(
        `comparing two properties (${c.right.segments.join('.')}) needs WHERE with aliases`,
        c.right.position.line,
        c.right.position.column,
      );
    const right = ctx.source(c.right);
    condition = left.anyElement((a) =>
      right.anyElement((b) => pairPredicate(op, a, b, ctx.dialect)),
    );
  } else {
    const { connective, literals } = resolveValues(c.right, ctx.values);
    if (literals.length === 0) condition = connective === 'or' ? 'FALSE' : 'TRUE';
    else if (op === '=' && connective === 'or') condition = equalsAny(left, literals, ctx, c.left);
    else
      condition = join(
        literals.map((literal) => literalPredicate(left, op, literal, ctx, c.left)),
        connective,
      );
  }
  // Negation is over the whole positive test, so a missing property or an array with no
  // matching element satisfies `!=` (and a value set follows De Morgan).
  return negated ? `NOT (${condition})` : condition;
}

export function compileFilter(filter: Filter, ctx: FilterContext): string {
  if (filter.kind === 'compare') return compileComparison(filter, ctx);
  return join(
    filter.operands.map((f) => compileFilter(f, ctx)),
    filter.kind,
  );
}
