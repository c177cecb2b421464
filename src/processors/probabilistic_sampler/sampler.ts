// The sampling decisions. `hash_seed` is the Go Collector's algorithm bit for bit (FNV-1a over the
// little-endian seed and the trace id, 14 bits of it against the percentage), so sluice and Go
// collectors with the same seed agree. `proportional` and `equalizing` follow OpenTelemetry's
// consistent probability sampling: 56 bits of randomness from `rv` or the trace id, kept when not
// below the rejection threshold, and the threshold written back as `ot=th:` so every later
// sampler, in any process, decides the same for the whole trace.
import { MAX_56, parseOtTraceState, probabilityOf, thresholdFor } from '../../pdata/tracestate.js';

export type SamplerMode = 'hash_seed' | 'proportional' | 'equalizing';

const HASH_BUCKETS = 0x4000;
const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

function seedBytes(seed: number): number[] {
  return [seed & 0xff, (seed >>> 8) & 0xff, (seed >>> 16) & 0xff, (seed >>> 24) & 0xff];
}

export function fnv1a32(seed: number, data: Uint8Array): number {
  let hash = FNV32_OFFSET;
  for (const b of [...seedBytes(seed), ...data]) hash = Math.imul(hash ^ b, FNV32_PRIME) >>> 0;
  return hash >>> 0;
}

/** 56 bits of randomness from bytes that carry none of their own (a log attribute's value). */
export function hashedRandomness(seed: number, data: Uint8Array): bigint {
  let hash = FNV64_OFFSET;
  for (const b of [...seedBytes(seed), ...data]) hash = ((hash ^ BigInt(b)) * FNV64_PRIME) & MASK_64;
  return hash & (MAX_56 - 1n);
}

export interface SamplerSettings {
  mode: SamplerMode;
  percentage: number;
  seed: number;
  precision: number;
  failClosed: boolean;
}

export interface Decision {
  keep: boolean;
  /** The threshold to write into the item's tracestate (consistent modes, kept items). */
  threshold?: bigint;
}

export interface Randomness {
  /** What hash_seed hashes: the trace id, or a log attribute's bytes. */
  hashInput?: Uint8Array;
  /** 56-bit randomness for the consistent modes; undefined when unknown. */
  value?: bigint;
  traceState?: string;
}

export function decide(settings: SamplerSettings, randomness: Randomness, percentage = settings.percentage): Decision {
  if (settings.mode === 'hash_seed') {
    if (!randomness.hashInput || randomness.hashInput.length === 0) return { keep: !settings.failClosed };
    const scaled = Math.floor((percentage * HASH_BUCKETS) / 100);
    return { keep: (fnv1a32(settings.seed, randomness.hashInput) & (HASH_BUCKETS - 1)) < scaled };
  }
  const incoming = parseOtTraceState(randomness.traceState);
  const r = incoming.badRandomness ? undefined : (incoming.randomness ?? randomness.value);
  if (r === undefined) return { keep: !settings.failClosed };
  const p = Math.min(1, Math.max(0, percentage / 100));
  const arriving = incoming.threshold ?? 0n;
  let threshold: bigint | undefined;
  if (settings.mode === 'proportional') {
    threshold = thresholdFor(probabilityOf(arriving) * p, settings.precision);
  } else {
    const own = thresholdFor(p, settings.precision);
    threshold = own === undefined ? undefined : own > arriving ? own : arriving;
  }
  if (threshold === undefined || r < threshold) return { keep: false };
  return { keep: true, threshold };
}
