// Property-level comparison of two versions, the rows of the side-by-side "Compare versions" view.
export type DiffKind = 'same' | 'added' | 'removed' | 'changed';

export interface DiffRow {
  property: string;
  kind: DiffKind;
  left: unknown;
  right: unknown;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Every property of either side, sorted by name, with how it differs. */
export function diffVersions(
  left: Record<string, unknown>,
  right: Record<string, unknown>,
): DiffRow[] {
  const names = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  return names.map((property) => {
    const inLeft = Object.prototype.hasOwnProperty.call(left, property);
    const inRight = Object.prototype.hasOwnProperty.call(right, property);
    const kind: DiffKind = !inLeft
      ? 'added'
      : !inRight
        ? 'removed'
        : equal(left[property], right[property])
          ? 'same'
          : 'changed';
    return { property, kind, left: left[property], right: right[property] };
  });
}
