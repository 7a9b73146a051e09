import {
  EmbeddedActionsParser,
  EOF,
  tokenLabel,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from 'chevrotain';
import type {
  ComparisonOperator,
  DateUnit,
  Expression,
  Filter,
  OrderKey,
  Position,
  PropertyRef,
  Query,
  ReturnClause,
  ReturnItem,
  Root,
  Selector,
  Step,
  TargetName,
  Traversal,
  Value,
  ValueSet,
} from './ast.js';
import { QuerySyntaxError } from './errors.js';
import { closestNames } from './suggest.js';
import * as T from './lexer.js';

/** The error provider hands structured detail to `parseQuery` through the message text. */
interface SyntaxDetail {
  found: string;
  expected: string[];
}

function describe(token: IToken): string {
  return token.tokenType === EOF ? 'end of query' : `'${token.image}'`;
}

function uniqueLabels(types: TokenType[]): string[] {
  return [...new Set(types.map((t) => tokenLabel(t)))];
}

const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) =>
    JSON.stringify({ found: describe(actual), expected: [tokenLabel(expected)] }),
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    JSON.stringify({ found: describe(firstRedundant), expected: ['end of query'] }),
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual }) =>
    JSON.stringify({
      found: describe(actual[0]!),
      expected: uniqueLabels(expectedPathsPerAlt.flat().map((path) => path[0]!)),
    }),
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) =>
    JSON.stringify({
      found: describe(actual[0]!),
      expected: uniqueLabels(expectedIterationPaths.map((path) => path[0]!)),
    }),
};

const comparisonOperators: ReadonlyMap<TokenType, ComparisonOperator> = new Map([
  [T.Equals, '='],
  [T.NotEquals, '!='],
  [T.Greater, '>'],
  [T.Less, '<'],
  [T.GreaterEquals, '>='],
  [T.LessEquals, '<='],
  [T.Contains, '~='],
  [T.NotContains, '!~='],
  [T.StartsWith, '^='],
  [T.NotStartsWith, '!^='],
  [T.EndsWith, '$='],
  [T.NotEndsWith, '!$='],
]);

const dateUnits: Record<string, DateUnit> = {
  hour: 'hour',
  hours: 'hour',
  hr: 'hour',
  hrs: 'hour',
  day: 'day',
  days: 'day',
  month: 'month',
  months: 'month',
  mo: 'month',
  mos: 'month',
  year: 'year',
  years: 'year',
  yr: 'year',
  yrs: 'year',
};

function position(token: IToken): Position {
  return { line: token.startLine ?? 0, column: token.startColumn ?? 0 };
}

/** Only `\'`, `\"` and `\\` are escapes: `'CONTOSO\svc'` keeps its backslash. */
function unquote(image: string): string {
  return image.slice(1, -1).replace(/\\(['"\\])/g, '$1');
}

function syntaxError(token: IToken, detail: string, expected: string[]): QuerySyntaxError {
  return new QuerySyntaxError(
    detail,
    token.startLine ?? 1,
    token.startColumn ?? 1,
    describe(token),
    expected,
  );
}

/** Deeper nesting than any real query; far below what the recursive parser's stack allows. */
export const MAX_NESTING = 100;

/** Refuses text the recursive descent would overflow the stack on, before parsing it. */
function checkNesting(tokens: IToken[]): void {
  let depth = 0;
  // `- - - x` recurses like parentheses do.
  let signs = 0;
  for (const token of tokens) {
    if (token.tokenType === T.LParen) depth++;
    else if (token.tokenType === T.RParen) depth--;
    signs = token.tokenType === T.Minus ? signs + 1 : 0;
    if (depth > MAX_NESTING || signs > MAX_NESTING)
      throw syntaxError(token, `nested more than ${MAX_NESTING} levels deep`, []);
  }
}

function targetName(image: string): TargetName {
  return { kind: /^[A-Z]/.test(image) ? 'class' : 'type', value: image };
}

function innerName(image: string, open: number, close: number): string {
  return image.slice(open, image.length - close).trim();
}

class J1qlParser extends EmbeddedActionsParser {
  /** The text being parsed: RETURN columns are keyed by the expression as written. */
  private text = '';

  constructor() {
    super(T.allTokens, { maxLookahead: 3, errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  parseText(text: string, tokens: IToken[]): Query {
    this.text = text;
    this.input = tokens;
    return this.query();
  }

  query = this.RULE('query', (): Query => {
    this.OPTION(() => this.CONSUME(T.Find));
    const unique = this.OPTION2(() => this.CONSUME(T.Unique)) !== undefined;
    const root = this.SUBRULE(this.root);
    const steps: Step[] = [];
    this.MANY(() => steps.push(this.SUBRULE(this.step)));
    const where = this.OPTION3(() => {
      this.CONSUME(T.Where);
      return this.SUBRULE(this.filter);
    });
    const returnClause = this.OPTION4(() => this.SUBRULE(this.returnClause));
    const having = this.OPTION5(() => {
      this.CONSUME(T.Having);
      return this.SUBRULE2(this.filter);
    });
    const orderBy = this.OPTION6(() => this.SUBRULE(this.orderClause));
    const skip = this.OPTION7(() => {
      this.CONSUME(T.Skip);
      return this.SUBRULE(this.integer);
    });
    const limit = this.OPTION8(() => {
      this.CONSUME(T.Limit);
      return this.SUBRULE2(this.integer);
    });
    return { unique, root, steps, where, return: returnClause, having, orderBy, skip, limit };
  });

  private root = this.RULE('root', (): Root => {
    return this.OR([
      {
        ALT: () => {
          const text = unquote(this.CONSUME(T.StringLiteral).image);
          const filter = this.OPTION(() => this.SUBRULE(this.withClause));
          const alias = this.OPTION2(() => this.SUBRULE(this.aliasClause))?.image;
          return { kind: 'fullText', text, filter, alias };
        },
      },
      {
        ALT: () => {
          const selector = this.SUBRULE(this.selector);
          // `FIND Host AS h WITH …` is an older form; accepted leniently.
          const early = this.OPTION3(() => this.SUBRULE2(this.aliasClause));
          const filter = this.OPTION4(() => this.SUBRULE2(this.withClause));
          const late = this.OPTION5(() => this.SUBRULE3(this.aliasClause));
          return { kind: 'entities', selector, filter, alias: this.oneAlias(early, late) };
        },
      },
    ]);
  });

  private selector = this.RULE('selector', (): Selector => {
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Star);
          return { kind: 'any' };
        },
      },
      { ALT: () => ({ kind: 'names', names: [targetName(this.CONSUME(T.Identifier).image)] }) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          const names: TargetName[] = [];
          this.AT_LEAST_ONE_SEP({
            SEP: T.Pipe,
            DEF: () => names.push(targetName(this.CONSUME2(T.Identifier).image)),
          });
          this.CONSUME(T.RParen);
          return { kind: 'names', names };
        },
      },
      {
        ALT: () => {
          const tag = this.CONSUME(T.SmartClass).image.slice(1);
          const name = this.OPTION(() => targetName(this.CONSUME3(T.Identifier).image));
          return { kind: 'smartClass', tag, name };
        },
      },
      {
        ALT: () => ({
          kind: 'placeholder',
          name: innerName(this.CONSUME(T.Placeholder).image, 2, 2),
        }),
      },
    ]);
  });

  private aliasClause = this.RULE('aliasClause', (): IToken => {
    this.CONSUME(T.As);
    return this.CONSUME(T.Identifier);
  });

  /** The lenient `Selector AS a WITH …` form, or the documented `… WITH … AS a`: not both. */
  private oneAlias(early: IToken | undefined, late: IToken | undefined): string | undefined {
    return this.ACTION(() => {
      if (early && late)
        throw syntaxError(late, `a second alias (${late.image}) for ${early.image}`, [
          'one AS name per selector',
        ]);
      return (late ?? early)?.image;
    });
  }

  private withClause = this.RULE('withClause', (): Filter => {
    this.CONSUME(T.With);
    return this.SUBRULE(this.filter);
  });

  private step = this.RULE('step', (): Step => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.traversal) },
      {
        ALT: () => {
          const open = this.CONSUME(T.LParen);
          const steps: Traversal[] = [];
          this.AT_LEAST_ONE(() => steps.push(this.SUBRULE2(this.traversal)));
          this.CONSUME(T.RParen);
          this.CONSUME(T.Question);
          const alias = this.OPTION(() => this.SUBRULE(this.aliasClause))?.image;
          return { kind: 'optional', steps, alias, position: position(open) };
        },
      },
    ]);
  });

  private traversal = this.RULE('traversal', (): Traversal => {
    const that = this.CONSUME(T.That);
    const negated = this.OPTION(() => this.CONSUME(T.Bang)) !== undefined;
    const verbs = this.SUBRULE(this.verbSpec);
    let direction: Traversal['direction'] = 'both';
    let relationshipAlias: string | undefined;
    const once = (token: IToken, what: string, seen: boolean) =>
      this.ACTION(() => {
        if (seen) throw syntaxError(token, `a second ${what} for one relationship`, []);
      });
    this.MANY(() =>
      this.OR([
        {
          ALT: () => {
            const token = this.OR2([
              { ALT: () => this.CONSUME(T.Outgoing) },
              { ALT: () => this.CONSUME(T.Incoming) },
            ]);
            once(token, 'direction', direction !== 'both');
            direction = token.tokenType === T.Outgoing ? 'out' : 'in';
          },
        },
        {
          ALT: () => {
            const token = this.SUBRULE(this.aliasClause);
            once(token, 'alias', relationshipAlias !== undefined);
            relationshipAlias = token.image;
          },
        },
      ]),
    );
    const target = this.SUBRULE(this.selector);
    const early = this.OPTION2(() => this.SUBRULE2(this.aliasClause));
    const filter = this.OPTION3(() => this.SUBRULE(this.withClause));
    const late = this.OPTION4(() => this.SUBRULE3(this.aliasClause));
    const alias = this.oneAlias(early, late);
    return {
      kind: 'traversal',
      negated,
      verbs,
      direction,
      relationshipAlias,
      target,
      filter,
      alias,
      position: position(that),
    };
  });

  /** Upper-cased verbs, or undefined when any relationship class matches (RELATES TO). */
  private verbSpec = this.RULE('verbSpec', (): string[] | undefined => {
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          const verbs: (string | undefined)[] = [];
          this.AT_LEAST_ONE_SEP({ SEP: T.Pipe, DEF: () => verbs.push(this.SUBRULE(this.verb)) });
          this.CONSUME(T.RParen);
          return verbs.includes(undefined) ? undefined : (verbs as string[]);
        },
      },
      {
        ALT: () => {
          const verb = this.SUBRULE2(this.verb);
          return verb === undefined ? undefined : [verb];
        },
      },
    ]);
  });

  private verb = this.RULE('verb', (): string | undefined => {
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Relates);
          this.OPTION(() => this.CONSUME(T.To));
          return undefined;
        },
      },
      {
        ALT: () => {
          const verb = this.CONSUME(T.Identifier).image.toUpperCase();
          // `CONTRIBUTES TO` ≡ `CONTRIBUTES`: TO after a verb is filler.
          this.OPTION2(() => this.CONSUME2(T.To));
          return verb;
        },
      },
    ]);
  });

  filter = this.RULE('filter', (): Filter => {
    const operands = [this.SUBRULE(this.andFilter)];
    this.MANY(() => {
      this.CONSUME(T.Or);
      operands.push(this.SUBRULE2(this.andFilter));
    });
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  });

  private andFilter = this.RULE('andFilter', (): Filter => {
    const operands = [this.SUBRULE(this.primaryFilter)];
    this.MANY(() => {
      this.CONSUME(T.And);
      operands.push(this.SUBRULE2(this.primaryFilter));
    });
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  });

  private primaryFilter = this.RULE('primaryFilter', (): Filter => {
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          const inner = this.SUBRULE(this.filter);
          this.CONSUME(T.RParen);
          return inner;
        },
      },
      {
        ALT: () => {
          const left = this.SUBRULE(this.filterProperty);
          const op = this.SUBRULE(this.comparisonOperator);
          const right = this.OR2([
            { ALT: () => this.SUBRULE(this.value) },
            { ALT: () => this.SUBRULE(this.valueSet) },
            { ALT: () => this.SUBRULE(this.propertyRef) },
          ]);
          return { kind: 'compare', left, op, right };
        },
      },
    ]);
  });

  private comparisonOperator = this.RULE('comparisonOperator', (): ComparisonOperator => {
    const token = this.OR(T.ComparisonOperators.map((type) => ({ ALT: () => this.CONSUME(type) })));
    return this.ACTION(() => comparisonOperators.get(token.tokenType)!);
  });

  /** Left of a comparison any word is a property name, keywords included (`to`, `order`). */
  private filterProperty = this.RULE('filterProperty', (): PropertyRef => {
    const first = this.OR([
      { ALT: () => this.CONSUME(T.Word) },
      { ALT: () => this.CONSUME(T.BracketName) },
    ]);
    return this.propertyFrom(first);
  });

  private propertyRef = this.RULE('propertyRef', (): PropertyRef => {
    const first = this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.BracketName) },
    ]);
    return this.propertyFrom(first);
  });

  /** The property that starts at `first`, with any `.[bracketed]` segments that follow. */
  private propertyFrom(first: IToken): PropertyRef {
    const segments = this.ACTION(() => this.segmentsOf(first));
    this.MANY({
      // `alias.*` is not a bracketed segment: leave the dot to the caller.
      GATE: () => this.LA(2).tokenType === T.BracketName,
      DEF: () => {
        this.CONSUME(T.Dot);
        const next = this.CONSUME2(T.BracketName);
        this.ACTION(() => segments.push(...this.segmentsOf(next)));
      },
    });
    return { kind: 'property', segments, position: position(first) };
  }

  private segmentsOf(token: IToken): string[] {
    return token.tokenType === T.BracketName
      ? [innerName(token.image, 1, 1)]
      : token.image.split('.');
  }

  private value = this.RULE('value', (): Value => {
    return this.OR([
      { ALT: () => ({ kind: 'string', value: unquote(this.CONSUME(T.StringLiteral).image) }) },
      {
        ALT: () => {
          const negative = this.OPTION(() => this.CONSUME(T.Minus)) !== undefined;
          const image = this.CONSUME(T.NumberLiteral).image;
          return { kind: 'number', value: (negative ? -1 : 1) * Number(image) };
        },
      },
      { ALT: () => (this.CONSUME(T.True), { kind: 'boolean', value: true }) },
      { ALT: () => (this.CONSUME(T.False), { kind: 'boolean', value: false }) },
      { ALT: () => (this.CONSUME(T.Undefined), { kind: 'undefined' }) },
      { ALT: () => this.SUBRULE(this.dateNow) },
      { ALT: () => ({ kind: 'date', iso: innerName(this.CONSUME(T.DateLiteral).image, 5, 1) }) },
      {
        ALT: () => {
          const image = this.CONSUME(T.RegexLiteral).image;
          const caseInsensitive = image.endsWith('i');
          const pattern = image.slice(1, image.lastIndexOf('/'));
          return { kind: 'regex', pattern, caseInsensitive };
        },
      },
      {
        ALT: () => ({
          kind: 'parameter',
          name: innerName(this.CONSUME(T.Parameter).image, 2, 1).replace(/^param\./, ''),
        }),
      },
      {
        ALT: () => ({
          kind: 'placeholder',
          name: innerName(this.CONSUME(T.Placeholder).image, 2, 2),
        }),
      },
    ]);
  });

  private dateNow = this.RULE('dateNow', (): Value => {
    this.CONSUME(T.DateNow);
    const offset = this.OPTION(() => {
      const sign = this.OR([
        { ALT: () => (this.CONSUME(T.Plus), 1) },
        { ALT: () => (this.CONSUME(T.Minus), -1) },
      ]);
      return this.OR2([
        {
          ALT: () => {
            const image = this.CONSUME(T.Duration).image;
            return this.ACTION(() => {
              const [, amount, unit] = /^([\d.]+)\s*([a-z]+)$/i.exec(image)!;
              return { amount: sign * Number(amount), unit: dateUnits[unit!.toLowerCase()]! };
            });
          },
        },
        {
          ALT: () => ({
            amount: sign * Number(this.CONSUME(T.NumberLiteral).image),
            unit: 'millisecond' as const,
          }),
        },
      ]);
    });
    return { kind: 'dateNow', offset };
  });

  private valueSet = this.RULE('valueSet', (): ValueSet => {
    this.CONSUME(T.LParen);
    const values = [this.SUBRULE(this.value)];
    const connectives = new Set<'and' | 'or'>();
    this.MANY(() => {
      this.OR([
        { ALT: () => (this.CONSUME(T.Or), connectives.add('or')) },
        { ALT: () => (this.CONSUME(T.And), connectives.add('and')) },
      ]);
      values.push(this.SUBRULE2(this.value));
    });
    const close = this.CONSUME(T.RParen);
    return this.ACTION(() => {
      if (connectives.size > 1)
        throw new QuerySyntaxError(
          'a value set mixes AND and OR',
          close.startLine ?? 0,
          close.startColumn ?? 0,
          "')'",
          ['only OR or only AND between the values'],
        );
      return { kind: 'set', connective: connectives.has('and') ? 'and' : 'or', values };
    });
  });

  private returnClause = this.RULE('returnClause', (): ReturnClause => {
    this.CONSUME(T.Return);
    return this.OR([
      { ALT: () => (this.CONSUME(T.Tree), { kind: 'tree' }) },
      {
        ALT: () => {
          const items: ReturnItem[] = [];
          this.AT_LEAST_ONE_SEP({
            SEP: T.Comma,
            DEF: () => items.push(this.SUBRULE(this.returnItem)),
          });
          return { kind: 'items', items };
        },
      },
    ]);
  });

  private returnItem = this.RULE('returnItem', (): ReturnItem => {
    const start = this.LA(1).startOffset;
    const expression = this.SUBRULE(this.expression);
    const end = this.LA(1).tokenType === EOF ? this.text.length : this.LA(1).startOffset;
    const written = this.ACTION(() => this.text.slice(start, end).trim());
    const as = this.OPTION(() => {
      this.CONSUME(T.As);
      return this.OR([
        { ALT: () => this.CONSUME(T.Word).image },
        { ALT: () => unquote(this.CONSUME(T.StringLiteral).image) },
      ]);
    });
    return { expression, column: as ?? written };
  });

  private expression = this.RULE('expression', (): Expression => {
    let left = this.SUBRULE(this.term);
    this.MANY(() => {
      const op = this.OR([
        { ALT: () => (this.CONSUME(T.Plus), '+' as const) },
        { ALT: () => (this.CONSUME(T.Minus), '-' as const) },
      ]);
      const right = this.SUBRULE2(this.term);
      left = { kind: 'binary', op, left, right };
    });
    return left;
  });

  private term = this.RULE('term', (): Expression => {
    let left = this.SUBRULE(this.power);
    this.MANY(() => {
      const op = this.OR([
        { ALT: () => (this.CONSUME(T.Star), '*' as const) },
        { ALT: () => (this.CONSUME(T.Slash), '/' as const) },
      ]);
      const right = this.SUBRULE2(this.power);
      left = { kind: 'binary', op, left, right };
    });
    return left;
  });

  private power = this.RULE('power', (): Expression => {
    const base = this.SUBRULE(this.unary);
    const exponent = this.OPTION(() => {
      this.CONSUME(T.Caret);
      return this.SUBRULE2(this.unary);
    });
    return exponent === undefined ? base : { kind: 'binary', op: '^', left: base, right: exponent };
  });

  private unary = this.RULE('unary', (): Expression => {
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          return { kind: 'negate', operand: this.SUBRULE(this.unary) };
        },
      },
      { ALT: () => ({ kind: 'number', value: Number(this.CONSUME(T.NumberLiteral).image) }) },
      { ALT: () => ({ kind: 'string', value: unquote(this.CONSUME(T.StringLiteral).image) }) },
      { ALT: () => (this.CONSUME(T.True), { kind: 'boolean', value: true }) },
      { ALT: () => (this.CONSUME(T.False), { kind: 'boolean', value: false }) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          const inner = this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
          return inner;
        },
      },
      {
        GATE: () => this.LA(2).tokenType === T.LParen,
        ALT: () => {
          const name = this.CONSUME(T.Identifier);
          this.CONSUME2(T.LParen);
          const args: Expression[] = [];
          this.MANY_SEP({
            SEP: T.Comma,
            DEF: () =>
              args.push(
                this.OR2([
                  {
                    ALT: () => ({ kind: 'star', position: position(this.CONSUME(T.Star)) }),
                  },
                  { ALT: () => this.SUBRULE2(this.expression) },
                ]),
              ),
          });
          this.CONSUME2(T.RParen);
          return {
            kind: 'call',
            name: name.image.toUpperCase(),
            args,
            position: position(name),
          };
        },
      },
      {
        ALT: () => {
          const ref = this.SUBRULE(this.propertyRef);
          const star = this.OPTION2(() => {
            this.CONSUME(T.Dot);
            return this.CONSUME2(T.Star);
          });
          return this.ACTION(() =>
            star === undefined
              ? ref
              : { kind: 'allProperties', alias: ref.segments.join('.'), position: ref.position },
          );
        },
      },
    ]);
  });

  private orderClause = this.RULE('orderClause', (): OrderKey[] => {
    this.CONSUME(T.Order);
    this.CONSUME(T.By);
    const keys: OrderKey[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const key = this.SUBRULE(this.propertyRef);
        const descending = this.OPTION(() =>
          this.OR([
            { ALT: () => (this.CONSUME(T.Asc), false) },
            { ALT: () => (this.CONSUME(T.Desc), true) },
          ]),
        );
        keys.push({ key, descending: descending ?? false });
      },
    });
    return keys;
  });

  /** SKIP and LIMIT: a whole number the database can count to. */
  private integer = this.RULE('integer', (): number => {
    const token = this.CONSUME(T.NumberLiteral);
    return this.ACTION(() => {
      const value = Number(token.image);
      if (!/^\d+$/.test(token.image) || !Number.isSafeInteger(value))
        throw syntaxError(token, 'SKIP and LIMIT take a whole number', [
          `a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`,
        ]);
      return value;
    });
  });
}

let parser: J1qlParser | undefined;

const KEYWORDS = T.allTokens.filter((t) => t.CATEGORIES?.includes(T.Word)).map(tokenLabel);

/**
 * A misspelt keyword reads as a name, so the error shows up at it or (FIDN User: a name alone is
 * a query) at the word after the query's first: either may be a keyword one typo away.
 */
function keywordHint(...candidates: (IToken | undefined)[]): string {
  for (const token of candidates) {
    if (token?.tokenType !== T.Identifier || token.image.length < 3) continue;
    const [keyword] = closestNames(token.image, KEYWORDS, token.image.length < 6 ? 1 : 2);
    if (keyword) return `; did you mean ${keyword} instead of '${token.image}'?`;
  }
  return '';
}

/** Parses J1QL text into its syntax tree, or throws a QuerySyntaxError naming line and column. */
export function parseQuery(text: string): Query {
  const lexed = T.j1qlLexer.tokenize(text);
  const lexError = lexed.errors[0];
  if (lexError) {
    const found = text.slice(lexError.offset, lexError.offset + lexError.length);
    throw new QuerySyntaxError(
      `unexpected character ${JSON.stringify(found.slice(0, 1))}`,
      lexError.line ?? 0,
      lexError.column ?? 0,
      found,
      [],
    );
  }
  checkNesting(lexed.tokens);
  parser ??= new J1qlParser();
  let query: Query;
  try {
    query = parser.parseText(text, lexed.tokens);
  } catch (err) {
    // The nesting check keeps the stack safe; this is the last line of defence, never a crash.
    if (err instanceof RangeError)
      throw new QuerySyntaxError(
        'the query is nested too deeply',
        1,
        1,
        describe(lexed.tokens[0]!),
        [],
      );
    throw err;
  }
  const parseError = parser.errors[0];
  if (parseError) {
    const token = parseError.token;
    const detail = JSON.parse(parseError.message) as SyntaxDetail;
    const at = token.tokenType === EOF ? lexed.tokens[lexed.tokens.length - 1] : token;
    const line = token.tokenType === EOF ? (at?.endLine ?? 1) : (at?.startLine ?? 1);
    const column = token.tokenType === EOF ? (at?.endColumn ?? 0) + 1 : (at?.startColumn ?? 1);
    throw new QuerySyntaxError(
      `found ${detail.found}, expected ${detail.expected.join(' or ')}${keywordHint(token, lexed.tokens[0])}`,
      line,
      column,
      detail.found,
      detail.expected,
    );
  }
  return query;
}
