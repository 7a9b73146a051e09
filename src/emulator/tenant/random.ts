/**
 * Seeded, stateless randomness: every generated object is derived from (seed, stream, index), so
 * item i can be produced on demand without producing items 0..i-1.
 */

/** murmur3's 32-bit finaliser folded over the parts: a fast, well-mixed hash of small integers. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** mulberry32: tiny PRNG, plenty for synthetic data. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Integer in [0, n) biased towards 0: a few values are very common, most are rare. */
  skewed(n: number, exponent = 3): number {
    return Math.min(n - 1, Math.floor(n * this.next() ** exponent));
  }

  /** n lower-case hex digits. */
  hex(n: number): string {
    let out = '';
    while (out.length < n) out += (this.int(0x10000) | 0x10000).toString(16).slice(1);
    return out.slice(0, n);
  }
}

/** Independent generator streams, one per kind of derived data. */
export const Stream = {
  tenant: 1,
  user: 2,
  group: 3,
  groupMembers: 4,
  device: 5,
  servicePrincipal: 6,
  orgContact: 7,
  machine: 8,
  machineLogons: 9,
  machineCves: 10,
  cve: 11,
  advance: 12,
  userId: 13,
  groupId: 14,
  deviceId: 15,
  machineId: 16,
  servicePrincipalId: 17,
  orgContactId: 18,
  deviceRegistrationId: 19,
  cveProduct: 20,
  localAccount: 21,
  onPremisesEmployee: 22,
  roster: 23,
} as const;

/** The generator for one item; `part` gives an item further independent sequences. */
export function randomFor(seed: number, stream: number, index: number, part = 0): Random {
  return new Random(hash32(seed, stream, index, part));
}
