// W3C tracestate and the OpenTelemetry `ot` entry used by consistent probability sampling:
// `th` (the rejection threshold, 1–14 hex digits, trailing zeros dropped) and `rv` (explicit
// 56-bit randomness, 14 hex digits). Thresholds and randomness are 56-bit integers held as bigint.

/** 2^56: thresholds and randomness live in [0, 2^56). */
export const MAX_56 = 1n << 56n;
const MASK_56 = MAX_56 - 1n;

export interface OtTraceState {
  /** The rejection threshold, when valid. */
  threshold?: bigint;
  /** Explicit randomness, when valid. */
  randomness?: bigint;
  /** True when an `rv` was present but malformed: the randomness is then unknown. */
  badRandomness: boolean;
}

function entries(traceState: string | undefined): [string, string][] {
  if (!traceState) return [];
  return traceState
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((e) => {
      const i = e.indexOf('=');
      return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
    });
}

function otFields(value: string): [string, string][] {
  return value
    .split(';')
    .filter(Boolean)
    .map((f) => {
      const i = f.indexOf(':');
      return i < 0 ? [f, ''] : [f.slice(0, i), f.slice(i + 1)];
    });
}

export function parseOtTraceState(traceState: string | undefined): OtTraceState {
  const ot = entries(traceState).find(([k]) => k === 'ot')?.[1];
  const out: OtTraceState = { badRandomness: false };
  if (!ot) return out;
  for (const [k, v] of otFields(ot)) {
    if (k === 'th' && /^[0-9a-f]{1,14}$/.test(v)) out.threshold = BigInt(`0x${v.padEnd(14, '0')}`);
    if (k === 'rv') {
      if (/^[0-9a-f]{14}$/.test(v)) out.randomness = BigInt(`0x${v}`);
      else out.badRandomness = true;
    }
  }
  return out;
}

/** `th` as the specification writes it: 14 hex digits with the trailing zeros removed ("0" for zero). */
export function encodeThreshold(threshold: bigint): string {
  const hex = threshold.toString(16).padStart(14, '0').replace(/0+$/, '');
  return hex === '' ? '0' : hex;
}

/** The tracestate with `ot`'s `th` set (other `ot` fields kept), `ot` moved to the front as W3C asks of a modified entry. */
export function withThreshold(traceState: string | undefined, threshold: bigint): string {
  const all = entries(traceState);
  const ot = all.find(([k]) => k === 'ot')?.[1] ?? '';
  const fields = otFields(ot).filter(([k]) => k !== 'th');
  const value = [`th:${encodeThreshold(threshold)}`, ...fields.map(([k, v]) => `${k}:${v}`)].join(';');
  return [`ot=${value}`, ...all.filter(([k]) => k !== 'ot').map(([k, v]) => `${k}=${v}`)].join(',');
}

/** The trace id's least significant 56 bits: the randomness W3C trace ids (level 2) guarantee. */
export function traceIdRandomness(traceId: Uint8Array | undefined): bigint | undefined {
  if (!traceId || traceId.length !== 16 || traceId.every((b) => b === 0)) return undefined;
  let r = 0n;
  for (let i = 9; i < 16; i++) r = (r << 8n) | BigInt(traceId[i]!);
  return r & MASK_56;
}

/** The rejection threshold for sampling probability `p`, rounded to `precision` hex digits; undefined for p = 0 (keep nothing). */
export function thresholdFor(p: number, precision: number): bigint | undefined {
  if (p <= 0) return undefined;
  if (p >= 1) return 0n;
  const exact = MAX_56 - BigInt(Math.round(p * 2 ** 56));
  const shift = BigInt(4 * (14 - precision));
  if (shift === 0n) return exact;
  const unit = 1n << shift;
  const rounded = ((exact + unit / 2n) >> shift) << shift;
  // Rounding up to 2^56 would mean "never": keep the largest representable threshold instead.
  return rounded >= MAX_56 ? MAX_56 - unit : rounded;
}

/** The sampling probability a threshold stands for. */
export function probabilityOf(threshold: bigint): number {
  return Number(MAX_56 - threshold) / 2 ** 56;
}
