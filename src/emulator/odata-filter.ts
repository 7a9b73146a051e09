/**
 * A small OData v4 `$filter` parser and evaluator covering what Graph and Defender clients send
 * (defender-api.md §3.4, graph-api.md §5.2): comparisons, and/or/not, parentheses, `in (...)`,
 * startswith/endswith/contains and `collection/any(x: x eq 'v')`.
 */

export type Literal = string | number | boolean | null | { datetime: number };

export type FilterNode =
  | { kind: 'compare'; op: CompareOp; property: string; value: Literal }
  | { kind: 'in'; property: string; values: Literal[] }
  | { kind: 'function'; name: StringFunction; property: string; value: string }
  | { kind: 'any'; property: string; variable: string; body: FilterNode }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode };

export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
type StringFunction = 'startswith' | 'endswith' | 'contains';

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCTIONS = new Set<string>(['startswith', 'endswith', 'contains']);

export class FilterSyntaxError extends Error {
  override name = 'FilterSyntaxError';
}

type Token =
  | { t: 'word'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'datetime'; v: number }
  | { t: 'punct'; v: '(' | ')' | ',' | ':' };

const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if ('(),:'.includes(c)) {
      tokens.push({ t: 'punct', v: c as '(' | ')' | ',' | ':' });
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterSyntaxError('unterminated string literal');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      tokens.push({ t: 'string', v: value });
    } else {
      const dt = DATETIME.exec(text.slice(i));
      if (dt) {
        const ms = Date.parse(dt[0].length === 11 ? `${dt[0].slice(0, 10)}T00:00:00Z` : dt[0]);
        if (Number.isNaN(ms)) throw new FilterSyntaxError(`invalid date/time '${dt[0]}'`);
        tokens.push({ t: 'datetime', v: ms });
        i += dt[0].length;
        continue;
      }
      const num = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (num) {
        tokens.push({ t: 'number', v: Number(num[0]) });
        i += num[0].length;
        continue;
      }
      const word = /^[A-Za-z_@][\w./@#-]*/.exec(text.slice(i));
      if (!word) throw new FilterSyntaxError(`unexpected character '${c}' at position ${i}`);
      tokens.push({ t: 'word', v: word[0] });
      i += word[0].length;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    const node = this.or();
    if (this.pos < this.tokens.length)
      throw new FilterSyntaxError(`unexpected '${this.describe()}'`);
    return node;
  }

  private describe(): string {
    const t = this.tokens[this.pos];
    return t === undefined ? 'end of filter' : String(t.v);
  }

  private peekWord(word: string): boolean {
    const t = this.tokens[this.pos];
    return t?.t === 'word' && t.v.toLowerCase() === word;
  }

  private expectPunct(v: string): void {
    const t = this.tokens[this.pos];
    if (t?.t !== 'punct' || t.v !== v)
      throw new FilterSyntaxError(`expected '${v}' but found '${this.describe()}'`);
    this.pos++;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.peekWord('or')) {
      this.pos++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.peekWord('and')) {
      this.pos++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterNode {
    if (this.peekWord('not')) {
      this.pos++;
      return { kind: 'not', operand: this.unary() };
    }
    const t = this.tokens[this.pos];
    if (t?.t === 'punct' && t.v === '(') {
      this.pos++;
      const inner = this.or();
      this.expectPunct(')');
      return inner;
    }
    return this.predicate();
  }

  private word(): string {
    const t = this.tokens[this.pos];
    if (t?.t !== 'word')
      throw new FilterSyntaxError(`expected a property name but found '${this.describe()}'`);
    this.pos++;
    return t.v;
  }

  private literal(): Literal {
    const t = this.tokens[this.pos++];
    if (t === undefined) throw new FilterSyntaxError('expected a value but found end of filter');
    if (t.t === 'string' || t.t === 'number') return t.v;
    if (t.t === 'datetime') return { datetime: t.v };
    if (t.t === 'word' && ['true', 'false', 'null'].includes(t.v.toLowerCase()))
      return JSON.parse(t.v.toLowerCase()) as boolean | null;
    throw new FilterSyntaxError(`expected a value but found '${String(t.v)}'`);
  }

  private predicate(): FilterNode {
    const name = this.word();
    const lower = name.toLowerCase();
    if (FUNCTIONS.has(lower)) {
      this.expectPunct('(');
      const property = this.word();
      this.expectPunct(',');
      const value = this.literal();
      if (typeof value !== 'string') throw new FilterSyntaxError(`${lower}() needs a string value`);
      this.expectPunct(')');
      return { kind: 'function', name: lower as StringFunction, property, value };
    }
    const any = /^(.+)\/any$/i.exec(name);
    if (any) {
      this.expectPunct('(');
      const variable = this.word();
      this.expectPunct(':');
      const body = this.or();
      this.expectPunct(')');
      return { kind: 'any', property: any[1]!, variable, body };
    }
    const op = this.tokens[this.pos];
    if (op?.t === 'word' && op.v.toLowerCase() === 'in') {
      this.pos++;
      this.expectPunct('(');
      const values = [this.literal()];
      while (this.tokens[this.pos]?.t === 'punct' && this.tokens[this.pos]?.v === ',') {
        this.pos++;
        values.push(this.literal());
      }
      this.expectPunct(')');
      return { kind: 'in', property: name, values };
    }
    if (op?.t !== 'word' || !COMPARE_OPS.has(op.v.toLowerCase()))
      throw new FilterSyntaxError(
        `expected an operator after '${name}' but found '${this.describe()}'`,
      );
    this.pos++;
    return {
      kind: 'compare',
      op: op.v.toLowerCase() as CompareOp,
      property: name,
      value: this.literal(),
    };
  }
}

export function parseFilter(text: string): FilterNode {
  return new Parser(tokenize(text)).parse();
}

/** Property names a filter reads (lambda variables excluded) and the operators/functions it uses. */
export function filterUsage(node: FilterNode): { properties: Set<string>; operators: Set<string> } {
  const properties = new Set<string>();
  const operators = new Set<string>();
  const walk = (n: FilterNode, variables: Set<string>): void => {
    switch (n.kind) {
      case 'compare':
        operators.add(n.op);
        if (!variables.has(n.property)) properties.add(n.property);
        return;
      case 'in':
      case 'function':
        operators.add(n.kind === 'in' ? 'in' : n.name);
        if (!variables.has(n.property)) properties.add(n.property);
        return;
      case 'any':
        operators.add('any');
        properties.add(n.property);
        return walk(n.body, new Set([...variables, n.variable]));
      case 'and':
      case 'or':
        operators.add(n.kind);
        walk(n.left, variables);
        return walk(n.right, variables);
      case 'not':
        operators.add('not');
        return walk(n.operand, variables);
    }
  };
  walk(node, new Set());
  return { properties, operators };
}

type Scope = Record<string, unknown>;

function lookup(scope: Scope, property: string): unknown {
  if (property in scope) return scope[property];
  const key = Object.keys(scope).find((k) => k.toLowerCase() === property.toLowerCase());
  return key === undefined ? undefined : scope[key];
}

/** Strings compare case-insensitively, as directory and Defender enum filters do. */
function compare(actual: unknown, op: CompareOp, expected: Literal): boolean {
  if (actual === undefined) actual = null;
  let a: unknown = actual;
  let b: unknown = expected;
  if (expected !== null && typeof expected === 'object') {
    if (typeof actual !== 'string') return false;
    a = Date.parse(actual);
    b = expected.datetime;
  } else if (typeof actual === 'string' && typeof expected === 'string') {
    a = actual.toLowerCase();
    b = expected.toLowerCase();
  }
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
  }
  if (a === null || b === null || typeof a !== typeof b) return false;
  const x = a as number | string;
  const y = b as number | string;
  return op === 'gt' ? x > y : op === 'ge' ? x >= y : op === 'lt' ? x < y : x <= y;
}

export function evaluateFilter(node: FilterNode, item: Scope): boolean {
  switch (node.kind) {
    case 'compare':
      return compare(lookup(item, node.property), node.op, node.value);
    case 'in': {
      const actual = lookup(item, node.property);
      return node.values.some((v) => compare(actual, 'eq', v));
    }
    case 'function': {
      const actual = lookup(item, node.property);
      if (typeof actual !== 'string') return false;
      const a = actual.toLowerCase();
      const v = node.value.toLowerCase();
      return node.name === 'startswith'
        ? a.startsWith(v)
        : node.name === 'endswith'
          ? a.endsWith(v)
          : a.includes(v);
    }
    case 'any': {
      const collection = lookup(item, node.property);
      if (!Array.isArray(collection)) return false;
      return collection.some((element) =>
        evaluateFilter(node.body, { ...item, [node.variable]: element }),
      );
    }
    case 'and':
      return evaluateFilter(node.left, item) && evaluateFilter(node.right, item);
    case 'or':
      return evaluateFilter(node.left, item) || evaluateFilter(node.right, item);
    case 'not':
      return !evaluateFilter(node.operand, item);
  }
}
