import { distance } from 'fastest-levenshtein';

/** Edits from `a` to `b`, a swap of two neighbouring letters (FIDN, WIHT) counting as one. */
function typoDistance(a: string, b: string): number {
  if (a.length === b.length) {
    const differ = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
    if (
      differ.length === 2 &&
      differ[1] === differ[0]! + 1 &&
      a[differ[0]!] === b[differ[1]!] &&
      a[differ[1]!] === b[differ[0]!]
    )
      return 1;
  }
  return distance(a, b);
}

/**
 * The known names closest to a misspelt one (case ignored), nearest first, at most three. A typo
 * is a few edits away: `reach` edits at most (by default about a third of the name's length).
 */
export function closestNames(
  name: string,
  known: Iterable<string>,
  reach = Math.min(Math.max(2, Math.ceil(name.length / 3)), name.length - 1),
): string[] {
  const wanted = name.toLowerCase();
  return [...new Set(known)]
    .map((candidate) => ({ candidate, edits: typoDistance(wanted, candidate.toLowerCase()) }))
    .filter(({ candidate, edits }) => edits <= reach && candidate !== name)
    .sort((a, b) => a.edits - b.edits || (a.candidate < b.candidate ? -1 : 1))
    .slice(0, 3)
    .map(({ candidate }) => candidate);
}

/** `; did you mean A or B?`, or nothing when no known name is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const close = closestNames(name, known);
  return close.length === 0 ? '' : `; did you mean ${close.join(' or ')}?`;
}
