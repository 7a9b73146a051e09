import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';

/** Identifiers may be dotted (`tag.AccountName`, `u.email`); segments after a dot may start with a digit. */
export const Identifier = createToken({
  name: 'Identifier',
  label: 'a name',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/,
});

/** Keywords are case-insensitive and also usable as property names (Word category). */
export const Word = createToken({ name: 'Word', label: 'a property name', pattern: Lexer.NA });

function keyword(name: string, extraCategories: TokenType[] = []): TokenType {
  return createToken({
    name,
    label: name,
    pattern: new RegExp(`${name}(?![A-Za-z0-9_.])`, 'i'),
    longer_alt: Identifier,
    categories: [Word, ...extraCategories],
  });
}

export const Find = keyword('FIND');
export const Unique = keyword('UNIQUE');
export const With = keyword('WITH');
export const That = keyword('THAT');
export const As = keyword('AS');
export const Where = keyword('WHERE');
export const Return = keyword('RETURN');
export const Having = keyword('HAVING');
export const Order = keyword('ORDER');
export const By = keyword('BY');
export const Skip = keyword('SKIP');
export const Limit = keyword('LIMIT');
export const And = keyword('AND');
export const Or = keyword('OR');
export const Tree = keyword('TREE');
export const To = keyword('TO');
export const Relates = keyword('RELATES');
export const Asc = keyword('ASC');
export const Desc = keyword('DESC');
export const True = keyword('TRUE');
export const False = keyword('FALSE');
export const Undefined = keyword('UNDEFINED');

Identifier.CATEGORIES = [Word];

export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /\s+/,
  group: Lexer.SKIPPED,
});
export const Comment = createToken({
  name: 'Comment',
  pattern: /\/\*[\s\S]*?\*\//,
  group: Lexer.SKIPPED,
});

export const DateNow = createToken({
  name: 'DateNow',
  label: 'date.now',
  pattern: /date\.now(?![A-Za-z0-9_])/i,
});
export const DateLiteral = createToken({
  name: 'DateLiteral',
  label: 'date(ISO-8601)',
  pattern: /date\(\s*[0-9][0-9T:.+\-Z]*\s*\)/i,
});
/** `7 days`, `24hours`, `1yr`: only meaningful after `date.now +/-`. */
export const Duration = createToken({
  name: 'Duration',
  label: 'a duration such as 7 days',
  pattern:
    /\d+(?:\.\d+)?\s*(?:hours|hour|hrs|hr|days|day|months|month|mos|mo|years|year|yrs|yr)(?![A-Za-z0-9_])/i,
});
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  label: 'a number',
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/,
});
export const StringLiteral = createToken({
  name: 'StringLiteral',
  label: 'a quoted string',
  pattern: /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/,
});
export const BracketName = createToken({
  name: 'BracketName',
  label: '[bracketed name]',
  pattern: /\[[^\]\n]+\]/,
});
export const Parameter = createToken({
  name: 'Parameter',
  label: '${param.name}',
  pattern: /\$\{[^}]*\}/,
});
export const Placeholder = createToken({
  name: 'Placeholder',
  label: '{{placeholder}}',
  pattern: /\{\{[^}]*\}\}/,
});
export const SmartClass = createToken({
  name: 'SmartClass',
  label: '#SmartClass',
  pattern: /#[A-Za-z_][A-Za-z0-9_]*/,
});

const op = (name: string, label: string, pattern: RegExp) =>
  createToken({ name, label: `'${label}'`, pattern });

export const NotContains = op('NotContains', '!~=', /!~=/);
export const NotStartsWith = op('NotStartsWith', '!^=', /!\^=/);
export const NotEndsWith = op('NotEndsWith', '!$=', /!\$=/);
export const NotEquals = op('NotEquals', '!=', /!=/);
export const Contains = op('Contains', '~=', /~=/);
export const StartsWith = op('StartsWith', '^=', /\^=/);
export const EndsWith = op('EndsWith', '$=', /\$=/);
export const GreaterEquals = op('GreaterEquals', '>=', />=/);
export const LessEquals = op('LessEquals', '<=', /<=/);
export const Outgoing = op('Outgoing', '>>', />>/);
export const Incoming = op('Incoming', '<<', /<</);
export const Greater = op('Greater', '>', />/);
export const Less = op('Less', '<', /</);
export const Equals = op('Equals', '=', /=/);
export const Bang = op('Bang', '!', /!/);
export const Pipe = op('Pipe', '|', /\|/);
export const LParen = op('LParen', '(', /\(/);
export const RParen = op('RParen', ')', /\)/);
export const Comma = op('Comma', ',', /,/);
export const Star = op('Star', '*', /\*/);
export const Plus = op('Plus', '+', /\+/);
export const Minus = op('Minus', '-', /-/);
export const Caret = op('Caret', '^', /\^/);
export const Question = op('Question', '?', /\?/);
export const Dot = op('Dot', '.', /\./);
export const Slash = op('Slash', '/', /\//);

export const ComparisonOperators = [
  NotContains,
  NotStartsWith,
  NotEndsWith,
  NotEquals,
  Contains,
  StartsWith,
  EndsWith,
  GreaterEquals,
  LessEquals,
  Greater,
  Less,
  Equals,
];

/** Where a regex literal may start: after a comparison operator or inside a value set. */
const regexContext = new Set<TokenType>([...ComparisonOperators, LParen, Or, And]);
const regexBody = /\/((?:[^/\\\n]|\\.)+)\/(i?)/y;

export const RegexLiteral = createToken({
  name: 'RegexLiteral',
  label: 'a /regex/',
  line_breaks: false,
  start_chars_hint: ['/'],
  pattern: {
    exec(text: string, offset: number, matched: IToken[]): RegExpExecArray | null {
      const previous = matched[matched.length - 1];
      if (!previous || !regexContext.has(previous.tokenType)) return null;
      regexBody.lastIndex = offset;
      return regexBody.exec(text);
    },
  },
});

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  RegexLiteral,
  DateLiteral,
  DateNow,
  Duration,
  NumberLiteral,
  StringLiteral,
  BracketName,
  Parameter,
  Placeholder,
  SmartClass,
  Find,
  Unique,
  With,
  That,
  As,
  Where,
  Return,
  Having,
  Order,
  By,
  Skip,
  Limit,
  And,
  Or,
  Tree,
  To,
  Relates,
  Asc,
  Desc,
  True,
  False,
  Undefined,
  Identifier,
  Word,
  Outgoing,
  Incoming,
  ...ComparisonOperators,
  Bang,
  Pipe,
  LParen,
  RParen,
  Comma,
  Star,
  Plus,
  Minus,
  Caret,
  Question,
  Dot,
  Slash,
];

export const j1qlLexer = new Lexer(allTokens, {
  ensureOptimizations: false,
  positionTracking: 'full',
});
