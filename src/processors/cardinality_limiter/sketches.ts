// Fixed-memory set sketches for the probabilistic mode: a Bloom filter answers "seen this series
// before?" (no false negatives; false positives at the rate it was sized for) and a HyperLogLog
// estimates how many distinct series there are (about 1.6 % standard error with 4096 registers).
// Both take two 32-bit hashes of the key, computed once.

/** FNV-1a 32 of a string's UTF-16 code units, and a second hash mixed from it (murmur3's finalizer). */
export function hashPair(key: string): [number, number] {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  let g = (h ^ key.length) >>> 0;
  g = Math.imul(g ^ (g >>> 16), 0x85ebca6b);
  g = Math.imul(g ^ (g >>> 13), 0xc2b2ae35);
  g ^= g >>> 16;
  return [h >>> 0, g >>> 0];
}

export class BloomFilter {
  private readonly bits: Uint8Array;
  private readonly m: number;
  private readonly k: number;

  /** Sized for `capacity` keys at false-positive rate `fpRate`. */
  constructor(capacity: number, fpRate: number) {
    this.m = Math.max(64, Math.ceil((-capacity * Math.log(fpRate)) / Math.LN2 ** 2));
    this.k = Math.max(1, Math.round((this.m / capacity) * Math.LN2));
    this.bits = new Uint8Array(Math.ceil(this.m / 8));
  }

  get bytes(): number {
    return this.bits.length;
  }

  private *indexes([h1, h2]: [number, number]): Generator<number> {
    for (let i = 0; i < this.k; i++) yield ((h1 + Math.imul(i, h2)) >>> 0) % this.m;
  }

  has(hashes: [number, number]): boolean {
    for (const bit of this.indexes(hashes)) if ((this.bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    return true;
  }

  add(hashes: [number, number]): void {
    for (const bit of this.indexes(hashes)) this.bits[bit >>> 3]! |= 1 << (bit & 7);
  }
}

export class HyperLogLog {
  private static readonly P = 12;
  private readonly registers = new Uint8Array(1 << HyperLogLog.P);
  // Kept up to date on every change, so an estimate costs O(1), not a pass over the registers.
  private sum = this.registers.length;
  private zeros = this.registers.length;

  get bytes(): number {
    return this.registers.length;
  }

  add([h1, h2]: [number, number]): void {
    const index = h2 >>> (32 - HyperLogLog.P);
    const rank = Math.clz32(h1) + 1;
    const old = this.registers[index]!;
    if (rank <= old) return;
    this.sum += 2 ** -rank - 2 ** -old;
    if (old === 0) this.zeros--;
    this.registers[index] = rank;
  }

  estimate(): number {
    const m = this.registers.length;
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / this.sum;
    // Small counts: linear counting is the better estimate.
    return raw <= 2.5 * m && this.zeros > 0 ? m * Math.log(m / this.zeros) : raw;
  }
}
