import { hash32, randomFor } from './random.js';

/** An invertible 32-bit mix (Wellons' lowbias32), so consecutive indexes get unrelated id tails. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function unmix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x43021123);
  x ^= (x >>> 15) ^ (x >>> 30);
  x = Math.imul(x, 0x1d69e2a5);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Ids that look random but carry the item's index in their last 8 hex digits (mixed with a seeded
 * mask), so `byId` is a parse plus one regeneration instead of a table of every id.
 */
export class IndexedIds {
  private readonly mask: number;

  constructor(
    private readonly seed: number,
    private readonly stream: number,
    private readonly format: 'guid' | 'sha1',
  ) {
    this.mask = hash32(seed, stream, 0x7fffffff);
  }

  id(index: number): string {
    const r = randomFor(this.seed, this.stream, index);
    const tail = mix(index ^ this.mask)
      .toString(16)
      .padStart(8, '0');
    if (this.format === 'sha1') return r.hex(32) + tail;
    return `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(4)}${tail}`;
  }

  /** The index whose id this is, or undefined for anything this scheme did not produce. */
  indexOf(id: string): number | undefined {
    const normalised = id.toLowerCase();
    const tail = normalised.slice(-8);
    if (!/^[0-9a-f]{8}$/.test(tail)) return undefined;
    const index = (unmix(parseInt(tail, 16)) ^ this.mask) >>> 0;
    return this.id(index) === normalised ? index : undefined;
  }
}

/** A plain random GUID for things that are never looked up by id. */
export function randomGuid(seed: number, stream: number, index: number, part = 0): string {
  const r = randomFor(seed, stream, index, part);
  return `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`;
}

/**
 * Entra's SID for a cloud object: S-1-12-1- and the GUID's 16 bytes in .NET order read as four
 * little-endian uint32s (checked against a real record in graph-api.md §5.3).
 */
export function cloudSid(guid: string): string {
  const hex = guid.replace(/-/g, '');
  const data1 = parseInt(hex.slice(0, 8), 16);
  const data2 = parseInt(hex.slice(8, 12), 16);
  const data3 = parseInt(hex.slice(12, 16), 16);
  const littleEndian = (offset: number): number => {
    let value = 0;
    for (let b = 3; b >= 0; b--)
      value = value * 256 + parseInt(hex.slice(offset + b * 2, offset + b * 2 + 2), 16);
    return value;
  };
  const part2 = data2 + data3 * 0x10000;
  return `S-1-12-1-${data1}-${part2}-${littleEndian(16)}-${littleEndian(24)}`;
}
