import type { Expression } from './ast.js';
import { leafKey, type Leaf } from './sql/compile.js';

/** A RETURN row before evaluation: leaf key → value (objects already shaped). */
export type LeafValues = Map<string, unknown>;

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function math(fn: (n: number) => number, value: unknown): number | null {
  return isNumber(value) ? fn(value) : null;
}

function concatPart(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(concatPart).join(',');
  return String(value);
}

/**
 * Row-level RETURN expressions (scalar functions, arithmetic) over the values the SQL returned.
 * `resolve` names the leaf an alias reference or aggregate stands for.
 */
export function evaluate(
  expression: Expression,
  values: LeafValues,
  resolve: (expression: Expression) => Leaf | undefined,
): unknown {
  const leaf = resolve(expression);
  if (leaf) return values.get(leafKey(leaf)) ?? null;
  const recurse = (e: Expression) => evaluate(e, values, resolve);
  switch (expression.kind) {
    case 'number':
    case 'string':
    case 'boolean':
      return expression.value;
    case 'negate': {
      const value = recurse(expression.operand);
      return isNumber(value) ? -value : null;
    }
    case 'binary': {
      const left = recurse(expression.left);
      const right = recurse(expression.right);
      if (!isNumber(left) || !isNumber(right)) return null;
      switch (expression.op) {
        case '+':
          return left + right;
        case '-':
          return left - right;
        case '*':
          return left * right;
        case '/':
          return right === 0 ? null : left / right;
        case '^':
          return left ** right;
      }
      return null;
    }
    case 'call': {
      const args = expression.args.map(recurse);
      switch (expression.name) {
        case 'CONCAT':
          return args.map(concatPart).join('');
        case 'MERGE':
          return args.flatMap((a) =>
            a === null || a === undefined ? [] : Array.isArray(a) ? a : [a],
          );
        case 'COALESCE':
          return args.find((a) => a !== null && a !== undefined) ?? null;
        case 'ABS':
          return math(Math.abs, args[0]);
        case 'SQRT':
          return math(Math.sqrt, args[0]);
        case 'CEIL':
          return math(Math.ceil, args[0]);
        case 'FLOOR':
          return math(Math.floor, args[0]);
        case 'ROUND':
          return math(Math.round, args[0]);
      }
      return null;
    }
    default:
      return null;
  }
}
