/** An ordered, live view of generated objects; items are produced on access, never stored. */
export interface Collection<T> {
  count(): number;
  at(position: number): T | undefined;
  byId(id: string): T | undefined;
  [Symbol.iterator](): Iterator<T>;
}

/** Position at which `value` would be inserted after any equal entries: the count of entries ≤ value. */
function upperBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Items at indexes [0, total) come from `generate(index)`; churn is kept as small overlays
 * (removed indexes, per-index patches) and additions simply extend `total`.
 */
export class OverlayCollection<T extends object> implements Collection<T> {
  private total: number;
  private readonly removedSorted: number[] = [];
  private readonly removed = new Set<number>();
  private readonly patches = new Map<number, Partial<T>>();

  constructor(
    private readonly generate: (index: number) => T,
    private readonly indexOfId: (id: string) => number | undefined,
    baseCount: number,
  ) {
    this.total = baseCount;
  }

  count(): number {
    return this.total - this.removed.size;
  }

  /** Indexes ever allocated, removed ones included. */
  allocated(): number {
    return this.total;
  }

  isLive(index: number): boolean {
    return index >= 0 && index < this.total && !this.removed.has(index);
  }

  get(index: number): T | undefined {
    if (!this.isLive(index)) return undefined;
    const patch = this.patches.get(index);
    return patch ? { ...this.generate(index), ...patch } : this.generate(index);
  }

  /**
   * The index of the item at a position in the live order: the smallest index with `position` live
   * indexes before it, found by binary search since that count never decreases.
   */
  indexAt(position: number): number | undefined {
    if (!Number.isInteger(position) || position < 0 || position >= this.count()) return undefined;
    let low = position;
    let high = position + this.removedSorted.length;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (mid - upperBound(this.removedSorted, mid) >= position) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  at(position: number): T | undefined {
    const index = this.indexAt(position);
    return index === undefined ? undefined : this.get(index);
  }

  indexOf(id: string): number | undefined {
    const index = this.indexOfId(id);
    return index !== undefined && this.isLive(index) ? index : undefined;
  }

  byId(id: string): T | undefined {
    const index = this.indexOf(id);
    return index === undefined ? undefined : this.get(index);
  }

  *indexes(): Generator<number> {
    for (let index = 0; index < this.total; index++) if (!this.removed.has(index)) yield index;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const index of this.indexes()) yield this.get(index) as T;
  }

  append(): number {
    return this.total++;
  }

  remove(index: number): void {
    if (!this.isLive(index)) return;
    this.removed.add(index);
    this.removedSorted.splice(upperBound(this.removedSorted, index), 0, index);
  }

  patch(index: number, changes: Partial<T>): void {
    this.patches.set(index, { ...this.patches.get(index), ...changes });
  }
}

/** A collection over an explicit, ordered list of indexes (e.g. the CVEs some machine still has). */
export class IndexListCollection<T> implements Collection<T> {
  constructor(
    private readonly indexList: () => readonly number[],
    private readonly generate: (index: number) => T,
    private readonly indexOfId: (id: string) => number | undefined,
    private readonly isMember: (index: number) => boolean,
  ) {}

  count(): number {
    return this.indexList().length;
  }

  at(position: number): T | undefined {
    const index = this.indexList()[position];
    return index === undefined ? undefined : this.generate(index);
  }

  byId(id: string): T | undefined {
    const index = this.indexOfId(id);
    return index !== undefined && this.isMember(index) ? this.generate(index) : undefined;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const index of this.indexList()) yield this.generate(index);
  }
}
