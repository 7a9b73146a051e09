/**
 * J1QL regular expressions are JavaScript's (as JupiterOne documents). SQLite runs them as they
 * are (`js_regexp`); PostgreSQL runs this module's translation into its ARE dialect, written so
 * that a value matches on PostgreSQL exactly when it matches in JavaScript. A construct with no
 * equivalent is refused, on both backends, instead of matching differently.
 */

export class RegexTranslationError extends Error {
  override name = 'RegexTranslationError';
}

/** JavaScript's `\s`: what ARE's `[[:space:]]` would leave to the server's locale. */
const JS_SPACE =
  '\\u0009-\\u000d\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const CLASS_ESCAPES: Record<string, { inClass: string; outside: string }> = {
  d: { inClass: '0-9', outside: '[0-9]' },
  D: { inClass: '', outside: '[^0-9]' },
  w: { inClass: 'A-Za-z0-9_', outside: '[A-Za-z0-9_]' },
  W: { inClass: '', outside: '[^A-Za-z0-9_]' },
  s: { inClass: JS_SPACE, outside: `[${JS_SPACE}]` },
  S: { inClass: '', outside: `[^${JS_SPACE}]` },
};
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };
/** ARE's repetition bound (RE_DUP_MAX). */
const MAX_REPEAT = 255;

/** One code point as an ARE character-entry escape, valid inside and outside brackets. */
function codePoint(code: number): string {
  if (code === 0) throw new RegexTranslationError('the NUL character (\\0) cannot be matched');
  if (code >= 0xd800 && code <= 0xdfff)
    throw new RegexTranslationError('a lone surrogate (\\uD800-\\uDFFF) cannot be matched');
  if (/[A-Za-z0-9]/.test(String.fromCharCode(code)) && code < 0x80)
    return String.fromCharCode(code);
  return code > 0xffff
    ? `\\U${code.toString(16).padStart(8, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

function captureGroupCount(pattern: string): number {
  let count = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' && (pattern[i + 1] !== '?' || /^\?<[^=!]/.test(pattern.slice(i + 1))))
      count++;
  }
  return count;
}

class Translator {
  private i = 0;
  private out = '';
  private readonly groups: number;
  /** Open groups: whether each is a lookaround, which ARE cannot repeat (JavaScript can). */
  private readonly open: boolean[] = [];
  private lookaroundClosed = false;

  constructor(private readonly pattern: string) {
    this.groups = captureGroupCount(pattern);
  }

  translate(): string {
    const p = this.pattern;
    while (this.i < p.length) {
      const c = p[this.i]!;
      const quantifier = c === '*' || c === '+' || c === '?' || (c === '{' && this.isBound());
      if (quantifier && this.lookaroundClosed)
        throw new RegexTranslationError('a repeated lookahead such as (?=a)+');
      this.lookaroundClosed = false;
      if (c === '\\') this.escape();
      else if (c === '[') this.characterClass();
      else if (c === '(') this.group();
      else if (c === '.') {
        // JavaScript's `.` stops at line terminators; ARE's (by default) does not.
        this.out += '[^\\n\\r\\u2028\\u2029]';
        this.i++;
      } else if (c === '*' || c === '+' || c === '?') {
        this.out += c;
        this.i++;
        this.lazy();
      } else if (c === '{') this.brace();
      else if (c === ')') {
        this.lookaroundClosed = this.open.pop() ?? false;
        this.out += c;
        this.i++;
      } else if (c === '|' || c === '^' || c === '$') {
        this.out += c;
        this.i++;
      } else {
        const code = p.codePointAt(this.i)!;
        this.out += codePoint(code);
        this.i += code > 0xffff ? 2 : 1;
      }
    }
    return this.out;
  }

  /** Whether a match exists does not depend on greediness, and ARE mixes greediness differently. */
  private lazy(): void {
    if (this.pattern[this.i] === '?') this.i++;
  }

  private isBound(): boolean {
    return /^\{\d+(,\d*)?\}/.test(this.pattern.slice(this.i));
  }

  private brace(): void {
    const bound = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.i));
    if (!bound) {
      this.out += codePoint(0x7b);
      this.i++;
      return;
    }
    const numbers = [bound[1], bound[3]].filter((n) => n !== undefined && n !== '').map(Number);
    if (numbers.some((n) => n > MAX_REPEAT))
      throw new RegexTranslationError(`a repetition count above ${MAX_REPEAT} (${bound[0]})`);
    this.out += bound[0];
    this.i += bound[0].length;
    this.lazy();
  }

  private group(): void {
    const rest = this.pattern.slice(this.i);
    const named = /^\(\?<([A-Za-z_$][\w$]*)>/.exec(rest);
    if (named) {
      // A named group matches as a plain capture group.
      this.out += '(';
      this.i += named[0].length;
      this.open.push(false);
      return;
    }
    const special = /^\(\?(?::|=|!|<=|<!)/.exec(rest);
    const text = special ? special[0] : '(';
    this.open.push(text.length > 3 || text === '(?=' || text === '(?!');
    this.out += text;
    this.i += text.length;
  }

  private escape(): void {
    const next = this.pattern[this.i + 1] ?? '';
    const rest = this.pattern.slice(this.i + 1);
    this.i += 2;
    if (CLASS_ESCAPES[next]) {
      this.out += CLASS_ESCAPES[next].outside;
      return;
    }
    if (next === 'b' || next === 'B') {
      this.out += next === 'b' ? '\\y' : '\\Y';
      return;
    }
    const backReference = /^[1-9]\d*/.exec(rest);
    if (backReference) {
      const n = Number(backReference[0]);
      if (n > this.groups || n > 9)
        throw new RegexTranslationError(`\\${backReference[0]} is not a back-reference to a group`);
      this.out += `\\${n}`;
      this.i += backReference[0].length - 1;
      return;
    }
    if (next === 'k') throw new RegexTranslationError('named back-references (\\k<name>)');
    this.out += codePoint(this.escapedCharacter(next, rest));
  }

  /** The code point a character escape stands for (identity escapes stand for themselves). */
  private escapedCharacter(next: string, rest: string): number {
    if (CONTROL_ESCAPES[next] !== undefined) return CONTROL_ESCAPES[next];
    if (next === '0' && !/^0\d/.test(rest)) return 0;
    const hex = next === 'x' ? /^x([0-9a-fA-F]{2})/.exec(rest) : /^u([0-9a-fA-F]{4})/.exec(rest);
    if ((next === 'x' || next === 'u') && hex) {
      this.i += hex[1]!.length;
      return parseInt(hex[1]!, 16);
    }
    const control = /^c([A-Za-z])/.exec(rest);
    if (control) {
      this.i += 1;
      return control[1]!.charCodeAt(0) % 32;
    }
    if (/^\d/.test(next)) throw new RegexTranslationError(`the octal escape \\${next}`);
    if (next === '') throw new RegexTranslationError('a trailing backslash');
    return next.codePointAt(0)!;
  }

  private characterClass(): void {
    const p = this.pattern;
    this.i++;
    const negated = p[this.i] === '^';
    if (negated) this.i++;
    if (p[this.i] === ']') {
      this.i++;
      // `[^]` is any character (ARE's `.` already matches newlines); `[]` matches nothing.
      if (negated) {
        this.out += '.';
        return;
      }
      throw new RegexTranslationError('an empty character class [] (it never matches)');
    }
    let body = '';
    while (this.i < p.length && p[this.i] !== ']') {
      const start = this.classAtom();
      if (start.set !== undefined) {
        body += start.set;
        continue;
      }
      if (p[this.i] === '-' && p[this.i + 1] !== ']' && this.i + 1 < p.length) {
        this.i++;
        const end = this.classAtom();
        if (end.set !== undefined)
          throw new RegexTranslationError('a range ending in a class escape such as \\d');
        body += `${codePoint(start.code!)}-${codePoint(end.code!)}`;
      } else body += codePoint(start.code!);
    }
    this.i++;
    this.out += `[${negated ? '^' : ''}${body}]`;
  }

  /** One member of a character class: a code point, or a set (`\d`, `\w`, `\s`). */
  private classAtom(): { code?: number; set?: string } {
    const p = this.pattern;
    if (p[this.i] !== '\\') {
      const code = p.codePointAt(this.i)!;
      this.i += code > 0xffff ? 2 : 1;
      return { code };
    }
    const next = p[this.i + 1] ?? '';
    const rest = p.slice(this.i + 1);
    this.i += 2;
    const set = CLASS_ESCAPES[next];
    if (set) {
      if (set.inClass === '') throw new RegexTranslationError(`\\${next} inside a character class`);
      return { set: set.inClass };
    }
    // Inside a class `\b` is a backspace and digits are octal escapes.
    if (next === 'b') return { code: 8 };
    if (/^[1-9]/.test(next)) throw new RegexTranslationError(`the octal escape \\${next}`);
    return { code: this.escapedCharacter(next, rest) };
  }
}

/**
 * The PostgreSQL ARE that matches what the JavaScript `pattern` matches, or a
 * RegexTranslationError naming the construct that has no equivalent. `pattern` must already be
 * a valid JavaScript regular expression.
 */
export function toPostgresRegex(pattern: string): string {
  return new Translator(pattern).translate();
}
