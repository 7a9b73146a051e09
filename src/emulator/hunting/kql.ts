/**
 * The KQL subset the emulator's Advanced Hunting understands: one table, then `where` (comparisons
 * joined by `and`), `summarize` (min, max, make_set, count, over a column or `toint(column)`) `by`
 * columns, `order by`/`sort by`, `take`/`limit`. Anything else is a `KqlError` naming what and where.
 */

export class KqlError extends Error {}

export type Scalar = string | number | boolean | null;
export type Row = Record<string, Scalar | Scalar[]>;

export type Comparison = {
  column: string;
  op: '==' | '!=' | '>' | '>=' | '<' | '<=';
  /** A literal, or `ago(duration)` as milliseconds back from now. */
  value: { literal: string | number } | { agoMs: number };
};

export interface Aggregate {
  name: string;
  fn: 'min' | 'max' | 'make_set' | 'count';
  column?: string;
  toint?: boolean;
}

export type Stage =
  | { kind: 'where'; conditions: Comparison[] }
  | { kind: 'summarize'; aggregates: Aggregate[]; by: string[] }
  | { kind: 'order'; keys: { column: string; descending: boolean }[] }
  | { kind: 'take'; count: number };

export interface KqlQuery {
  table: string;
  stages: Stage[];
}

type Token = {
  type: 'ident' | 'string' | 'number' | 'duration' | 'op' | 'punct';
  text: string;
  at: number;
};

const DURATION_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const at = i;
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))![0];
      tokens.push({ type: 'ident', text: m, at });
      i += m.length;
    } else if (/[0-9]/.test(ch)) {
      const m = /^[0-9]+([dhms](?![A-Za-z0-9_]))?/.exec(text.slice(i))![0];
      tokens.push({ type: /[dhms]$/.test(m) ? 'duration' : 'number', text: m, at });
      i += m.length;
    } else if (ch === '"' || ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new KqlError(`unterminated string starting at position ${at}`);
        const c = text[i]!;
        if (c === '\\') {
          value += text[i + 1] ?? '';
          i += 2;
        } else if (c === ch) {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      tokens.push({ type: 'string', text: value, at });
    } else {
      const op = /^(==|!=|>=|<=|>|<)/.exec(text.slice(i))?.[0];
      if (op) {
        tokens.push({ type: 'op', text: op, at });
        i += op.length;
      } else if ('|,()='.includes(ch)) {
        tokens.push({ type: 'punct', text: ch, at });
        i++;
      } else {
        throw new KqlError(`unexpected character '${ch}' at position ${at}`);
      }
    }
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private where(): string {
    const t = this.peek();
    return t ? `'${t.text}' at position ${t.at}` : `the end of the query (position ${this.length})`;
  }

  private fail(expected: string): never {
    throw new KqlError(`expected ${expected}, found ${this.where()}`);
  }

  private next(type: Token['type'], expected: string, text?: string): Token {
    const t = this.peek();
    if (!t || t.type !== type || (text !== undefined && t.text.toLowerCase() !== text))
      this.fail(expected);
    this.position++;
    return t;
  }

  private accept(type: Token['type'], text: string): boolean {
    const t = this.peek();
    if (t?.type === type && t.text.toLowerCase() === text) {
      this.position++;
      return true;
    }
    return false;
  }

  parse(): KqlQuery {
    const table = this.next('ident', 'a table name').text;
    const stages: Stage[] = [];
    while (this.peek()) {
      this.next('punct', "'|'", '|');
      stages.push(this.stage());
    }
    return { table, stages };
  }

  private stage(): Stage {
    const word = this.next('ident', 'an operator (where, summarize, order by, take)').text;
    switch (word.toLowerCase()) {
      case 'where': {
        const conditions = [this.comparison()];
        while (this.accept('ident', 'and')) conditions.push(this.comparison());
        return { kind: 'where', conditions };
      }
      case 'summarize': {
        const aggregates = [this.aggregate()];
        while (this.accept('punct', ',')) aggregates.push(this.aggregate());
        this.next('ident', "'by'", 'by');
        return { kind: 'summarize', aggregates, by: this.columns() };
      }
      case 'order':
      case 'sort': {
        this.next('ident', "'by'", 'by');
        const keys = [this.orderKey()];
        while (this.accept('punct', ',')) keys.push(this.orderKey());
        return { kind: 'order', keys };
      }
      case 'take':
      case 'limit':
        return { kind: 'take', count: Number(this.next('number', 'a row count').text) };
      default:
        this.position--;
        return this.fail('an operator the emulator supports (where, summarize, order by, take)');
    }
  }

  private comparison(): Comparison {
    const column = this.next('ident', 'a column name').text;
    const op = this.next('op', 'a comparison operator').text as Comparison['op'];
    const t = this.peek();
    if (t?.type === 'string' || t?.type === 'number') {
      this.position++;
      return { column, op, value: { literal: t.type === 'number' ? Number(t.text) : t.text } };
    }
    this.next('ident', 'a string, a number or ago(…)', 'ago');
    this.next('punct', "'('", '(');
    const duration = this.next('duration', 'a duration such as 30d').text;
    this.next('punct', "')'", ')');
    const unit = duration.slice(-1);
    return { column, op, value: { agoMs: Number(duration.slice(0, -1)) * DURATION_MS[unit]! } };
  }

  private aggregate(): Aggregate {
    const name = this.next('ident', 'a result column name').text;
    this.next('punct', "'='", '=');
    const fnToken = this.next('ident', 'an aggregation (min, max, make_set, count)');
    const fn = fnToken.text.toLowerCase();
    if (fn !== 'min' && fn !== 'max' && fn !== 'make_set' && fn !== 'count') {
      this.position--;
      this.fail('an aggregation the emulator supports (min, max, make_set, count)');
    }
    this.next('punct', "'('", '(');
    if (fn === 'count') {
      this.next('punct', "')'", ')');
      return { name, fn };
    }
    let toint = false;
    let column = this.next('ident', 'a column name').text;
    if (column.toLowerCase() === 'toint' && this.accept('punct', '(')) {
      toint = true;
      column = this.next('ident', 'a column name').text;
      this.next('punct', "')'", ')');
    }
    this.next('punct', "')'", ')');
    return { name, fn, column, toint };
  }

  private columns(): string[] {
    const columns = [this.next('ident', 'a column name').text];
    while (this.accept('punct', ',')) columns.push(this.next('ident', 'a column name').text);
    return columns;
  }

  private orderKey(): { column: string; descending: boolean } {
    const column = this.next('ident', 'a column name').text;
    // KQL sorts descending unless told otherwise.
    const descending = this.accept('ident', 'asc') ? false : (this.accept('ident', 'desc'), true);
    return { column, descending };
  }
}

export function parseKql(text: string): KqlQuery {
  return new Parser(tokenize(text), text.length).parse();
}
