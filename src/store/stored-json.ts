/**
 * JSON as both backends store it. PostgreSQL's jsonb refuses NUL and unpaired surrogates, which
 * Microsoft can send in any string; they (and the escape alphabet itself) are written as escape
 * sequences of Unicode noncharacters, the same way on SQLite and PostgreSQL, and decoded on read.
 */

/** Starts every escape sequence; U+FDD0..U+FDEF are noncharacters, never text a tenant means. */
const MARK = 0xfdd0;
/** The 31 digit characters after the mark: U+FDD1..U+FDEF. */
const DIGIT_BASE = 0xfdd1;
const DIGITS = 31;
/** Mark + 3 digits: 31³ codes, more than the 2,081 code units escaped. */
const DIGITS_PER_CODE = 3;

/**
 * Anything in a JSON.stringify result that needs escaping: a `\u0000` or lone-surrogate escape
 * (JSON.stringify writes both as `\uXXXX`) or a raw noncharacter of the escape alphabet. A false
 * hit (an escaped backslash before `u0000`) only takes the exact path.
 */
const ESCAPE_IN_JSON = /\\u(?:0000|[dD][89abcdefABCDEF])/;
const ALPHABET = /[\ufdd0-\ufdef]/;

/** Most texts have no `\u` at all (JSON.stringify writes one only for rare control characters). */
function needsEscape(json: string): boolean {
  return (json.includes('\\u') && ESCAPE_IN_JSON.test(json)) || ALPHABET.test(json);
}

// eslint-disable-next-line no-control-regex -- NUL is exactly what must be found
const ESCAPABLE = /[\u0000\ud800-\udfff\ufdd0-\ufdef]/;

const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;
const isSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdfff;
const isAlphabet = (unit: number) => unit >= MARK && unit <= 0xfdef;

function escapeUnit(unit: number): string {
  let n = unit === 0 ? 0 : isAlphabet(unit) ? 1 + unit - MARK : 33 + unit - 0xd800;
  const digits: number[] = [];
  for (let i = 0; i < DIGITS_PER_CODE; i++) {
    digits.unshift(DIGIT_BASE + (n % DIGITS));
    n = Math.floor(n / DIGITS);
  }
  return String.fromCharCode(MARK, ...digits);
}

function unescapeCode(digits: string): number {
  let n = 0;
  for (const char of digits) n = n * DIGITS + (char.charCodeAt(0) - DIGIT_BASE);
  return n === 0 ? 0 : n <= 32 ? MARK + n - 1 : 0xd800 + n - 33;
}

/**
 * A string as stored: NUL, unpaired surrogates and the escape alphabet become fixed-length
 * sequences that start with the mark. The mark only ever starts a sequence, so equality,
 * containment, prefixes and suffixes of stored strings answer as they would on the originals.
 */
export function storedString(text: string): string {
  if (!ESCAPABLE.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const paired =
      (isHigh(unit) && isLow(text.charCodeAt(i + 1))) ||
      (isLow(unit) && i > 0 && isHigh(text.charCodeAt(i - 1)));
    if (unit === 0 || isAlphabet(unit) || (isSurrogate(unit) && !paired)) out += escapeUnit(unit);
    else out += text[i];
  }
  return out;
}

const ESCAPED = new RegExp(`\\ufdd0[\\ufdd1-\\ufdef]{${DIGITS_PER_CODE}}`, 'g');

/** The original of a stored string. */
export function originalString(stored: string): string {
  if (!stored.includes('\ufdd0')) return stored;
  return stored.replace(ESCAPED, (sequence) =>
    String.fromCharCode(unescapeCode(sequence.slice(1))),
  );
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, map));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [map(k), mapStrings(v, map)]));
  return value;
}

/** JSON text for a JSON column: what JSON.stringify writes unless a string needs escaping. */
export function toStoredJson(value: unknown): string {
  const text = JSON.stringify(value);
  return needsEscape(text) ? JSON.stringify(mapStrings(value, storedString)) : text;
}

/** A JSON column's value back: both drivers hand JSON columns over as text (see sql/postgres.ts). */
export function fromStoredJson<T>(value: unknown): T {
  if (typeof value !== 'string') return value as T;
  const parsed: unknown = JSON.parse(value);
  return (value.includes('\ufdd0') ? mapStrings(parsed, originalString) : parsed) as T;
}
