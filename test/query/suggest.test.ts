import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closestNames, didYouMean } from '../../src/query/suggest.js';

const KNOWN = [
  'microsoft_defender_machine',
  'microsoft_defender_user',
  'microsoft_defender_account',
  'HostAgent',
  'Vulnerability',
  'osPlatform',
];

describe('closest names', () => {
  it('find the known name one typo away (a swap, a change, a letter more or less), never the name itself', () => {
    const typo = fc
      .record({
        name: fc.constantFrom(...KNOWN),
        kind: fc.constantFrom('swap', 'change', 'insert', 'delete'),
        at: fc.nat(),
        letter: fc.constantFrom(...'qxz'),
      })
      .map(({ name, kind, at, letter }) => {
        const i = at % (name.length - 1);
        const typed =
          kind === 'swap'
            ? name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2)
            : kind === 'change'
              ? name.slice(0, i) + letter + name.slice(i + 1)
              : kind === 'insert'
                ? name.slice(0, i) + letter + name.slice(i)
                : name.slice(0, i) + name.slice(i + 1);
        return { name, typed };
      })
      .filter(({ name, typed }) => name !== typed);
    fc.assert(
      fc.property(typo, ({ name, typed }) => {
        expect(closestNames(typed, KNOWN)).toContain(name);
        expect(closestNames(name, KNOWN)).not.toContain(name);
      }),
    );
  });

  it('suggest only the nearest, and nothing for a name far from all', () => {
    expect(didYouMean('microsoft_defender_machin', KNOWN)).toBe(
      '; did you mean microsoft_defender_machine?',
    );
    expect(didYouMean('hostagent', KNOWN)).toBe('; did you mean HostAgent?');
    expect(didYouMean('Nothing', KNOWN)).toBe('');
    expect(closestNames('FIDN', ['FIND', 'WITH'], 1)).toEqual(['FIND']);
  });
});
