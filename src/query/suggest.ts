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
 * The known names nearest a misspelt one (case ignored): those at the fewest edits, at most
 * three. A typo is a few edits away: `reach` at most (by default about a quarter of its length).
 */
export function closestNames(
  name: string,
  known: Iterable<string>,
  reach = Math.min(Math.max(2, Math.floor(name.length / 4)), name.length - 1),
): string[] {
  const wanted = name.toLowerCase();
  const near = [...new Set(known)]
    .filter((candidate) => candidate !== name)
    .map((candidate) => ({ candidate, edits: typoDistance(wanted, candidate.toLowerCase()) }))
    .filter(({ edits }) => edits <= reach);
  const fewest = Math.min(...near.map((n) => n.edits));
  return near
    .filter(({ edits }) => edits === fewest)
    .map(({ candidate }) => candidate)
    .sort()
    .slice(0, 3);
}

/** `; did you mean A or B?`, or nothing when no known name is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const close = closestNames(name, known);
  return close.length === 0 ? '' : `; did you mean ${close.join(' or ')}?`;
}
