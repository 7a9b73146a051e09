import type { Comparison, ComparisonOperator, Filter, PropertyRef } from '../ast.js';
import { QueryValidationError } from '../errors.js';
import { resolveValues, type Literal, type ValueContext } from '../values.js';
import type { Dialect, Element, Params, ValueSource } from './dialect.js';

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

function join(parts: string[], connective: 'and' | 'or'): string {
  return parts.length === 1
    ? parts[0]!
    : `(${parts.join(connective === 'and' ? ' AND ' : ' OR ')})`;
}

function anchored(pattern: string, op: PositiveOperator): string {
  return op === '^=' ? `^(?:${pattern})` : op === '$=' ? `(?:${pattern})$` : pattern;
}

/** A bad pattern is the query's fault: say so before the database does. */
function checkRegex(pattern: string, where: PropertyRef): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    throw new QueryValidationError(
      `invalid regular expression /${pattern}/: ${err instanceof Error ? err.message : String(err)}`,
      where.position.line,
      where.position.column,
    );
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
    checkRegex(literal.pattern, where);
    return source.anyElement((e) =>
      e.guard('string', (t) =>
        dialect.regexMatch(t, anchored(literal.pattern, op), literal.caseInsensitive, params),
      ),
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
