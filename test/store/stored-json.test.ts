import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromStoredJson,
  originalString,
  storedString,
  toStoredJson,
} from '../../src/store/stored-json.js';

/** Any UTF-16 code unit, lone surrogates and NUL included, plus the escape alphabet itself. */
const unit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0xfdd0, max: 0xfdef }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('\u0000', '\ud800', '\udfff', '😀', 'a'),
);
const text = fc.string({ unit, maxLength: 12 });

function codePointsInclude(haystack: string, needle: string): boolean {
  const h = Array.from(haystack);
  const n = Array.from(needle);
  for (let i = 0; i + n.length <= h.length; i++) if (n.every((c, j) => h[i + j] === c)) return true;
  return false;
}

/** With the u flag the surrogate range matches unpaired surrogates only. */
// eslint-disable-next-line no-control-regex -- NUL is what must never be stored
const PROBLEM = /[\u0000\ud800-\udfff]/u;

describe('stored strings', () => {
  it('round-trips every string, and stores none with a NUL or an unpaired surrogate', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(originalString(storedString(s))).toBe(s);
        expect(PROBLEM.test(storedString(s))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps equality, containment, prefixes and suffixes as on the originals', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const [sa, sb] = [storedString(a), storedString(b)];
        expect(sa === sb).toBe(a === b);
        expect(sa.includes(sb)).toBe(codePointsInclude(a, b));
        const [pa, pb] = [Array.from(a), Array.from(b)];
        expect(sa.startsWith(sb)).toBe(pa.slice(0, pb.length).join('') === b);
        expect(sa.endsWith(sb)).toBe(pb.length === 0 || pa.slice(-pb.length).join('') === b);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves ordinary strings and JSON alone', () => {
    expect(storedString('Head of Security 😀 é')).toBe('Head of Security 😀 é');
    expect(toStoredJson({ a: ['x', 1, null], b: 'ü\n"' })).toBe(
      JSON.stringify({ a: ['x', 1, null], b: 'ü\n"' }),
    );
  });

  it('escapes NUL as the mark and three digits, and JSON round-trips keys and values', () => {
    expect(storedString('a\u0000b')).toBe('a\ufdd0\ufdd1\ufdd1\ufdd1b');
    const value = { 'k\u0000': ['\ud800', { n: '\ufdd0' }], plain: 'x' };
    expect(fromStoredJson(toStoredJson(value))).toEqual(value);
  });
});
