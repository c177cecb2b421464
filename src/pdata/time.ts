// Nanosecond timestamps are 64-bit: exact as Long (decoded) or as a safe number (produced here).
import Long from 'long';
import type { Int64 } from './types.js';

export function int64ToBigInt(v: Int64 | undefined | null): bigint {
  if (v == null) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return BigInt(v.toString());
}

export function bigIntToInt64(v: bigint, unsigned = true): Long {
  return Long.fromString(v.toString(), unsigned);
}

/** Possibly lossy above 2^53: for arithmetic on durations and display, never for re-encoding. */
export function int64ToNumber(v: Int64 | undefined | null): number {
  if (v == null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function int64ToString(v: Int64 | undefined | null): string {
  if (v == null) return '0';
  return typeof v === 'number' ? String(Math.trunc(v)) : v.toString();
}

export function nowUnixNano(clockMs: number = Date.now()): Long {
  return Long.fromNumber(clockMs, true).multiply(1_000_000);
}

/** Nanoseconds between two timestamps, as a number (exact below ~104 days). */
export function durationNanos(start: Int64 | undefined, end: Int64 | undefined): number {
  return Number(int64ToBigInt(end) - int64ToBigInt(start));
}

/**
 * Whole milliseconds of a nanosecond timestamp, exactly: dividing a rounded double would be off by
 * one now and then, since today's nanosecond timestamps are beyond 2^53.
 */
export function int64ToMillis(v: Int64 | undefined | null): number {
  if (v == null) return 0;
  if (typeof v === 'number') return Math.floor(v / 1e6);
  return v.divide(1_000_000).toNumber();
}

/** Whole seconds of a nanosecond timestamp, exactly. */
export function int64ToSeconds(v: Int64 | undefined | null): number {
  return Math.floor(int64ToMillis(v) / 1000);
}
