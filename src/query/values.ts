import type { DateUnit, Value, ValueSet } from './ast.js';
import { QueryValidationError } from './errors.js';

/** A literal after parameters and dates are resolved: what the SQL receives as a bound value. */
export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'undefined' }
  | { kind: 'regex'; pattern: string; caseInsensitive: boolean };

export type ParameterValue = string | number | boolean | null | (string | number | boolean)[];

export interface ValueContext {
  /** `${param.x}`, `${x}` and `{{x}}` values. */
  params: Record<string, ParameterValue>;
  /** Epoch ms that `date.now` means for this run. */
  now: number;
  /** Stands in for absent parameters when only checking a query. */
  missingParameter?: ParameterValue;
}

const HOUR = 3_600_000;

function shift(now: number, amount: number, unit: DateUnit | 'millisecond'): number {
  switch (unit) {
    case 'millisecond':
      return now + amount;
    case 'hour':
      return now + amount * HOUR;
    case 'day':
      return now + amount * 24 * HOUR;
    case 'month':
    case 'year': {
      // Calendar arithmetic: `date.now - 1 month` is the same day of the previous month.
      const date = new Date(now);
      const months = unit === 'month' ? amount : amount * 12;
      const whole = Math.trunc(months);
      date.setUTCMonth(date.getUTCMonth() + whole);
      return date.getTime() + (months - whole) * 30 * 24 * HOUR;
    }
  }
}

function literalOf(value: ParameterValue, name: string): Literal[] {
  if (Array.isArray(value)) return value.flatMap((v) => literalOf(v, name));
  if (value === null) return [{ kind: 'undefined' }];
  if (typeof value === 'string') {
    if (value.includes('\u0000'))
      throw new QueryValidationError(`parameter ${name} contains the NUL character`);
    return [{ kind: 'string', value }];
  }
  if (typeof value === 'number') return [{ kind: 'number', value }];
  if (typeof value === 'boolean') return [{ kind: 'boolean', value }];
  throw new QueryValidationError(`parameter ${name} has an unsupported value`);
}

export function parameterValue(name: string, context: ValueContext): ParameterValue {
  if (!Object.hasOwn(context.params, name)) {
    if (context.missingParameter !== undefined) return context.missingParameter;
    throw new QueryValidationError(
      `missing parameter: ${name} (pass it with --param ${name}=VALUE)`,
    );
  }
  return context.params[name]!;
}

/** One written value → the literals it stands for (a list parameter stands for several). */
export function resolveValue(value: Value, context: ValueContext): Literal[] {
  switch (value.kind) {
    case 'dateNow':
      return [
        {
          kind: 'number',
          value: value.offset
            ? shift(context.now, value.offset.amount, value.offset.unit)
            : context.now,
        },
      ];
    case 'date': {
      const time = Date.parse(value.iso);
      if (Number.isNaN(time)) throw new QueryValidationError(`not a date: date(${value.iso})`);
      return [{ kind: 'number', value: time }];
    }
    case 'parameter':
    case 'placeholder':
      return literalOf(parameterValue(value.name, context), value.name);
    default:
      return [value];
  }
}

/** A value set or a single value as (connective, literals). A list parameter is an OR set. */
export function resolveValues(
  value: Value | ValueSet,
  context: ValueContext,
): { connective: 'and' | 'or'; literals: Literal[] } {
  if (value.kind === 'set')
    return {
      connective: value.connective,
      literals: value.values.flatMap((v) => resolveValue(v, context)),
    };
  return { connective: 'or', literals: resolveValue(value, context) };
}
