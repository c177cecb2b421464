// Canonical form of pdata for content comparison: Long → decimal string, bytes → hex, and
// proto3 defaults dropped, so "absent" and "present with the default" compare equal as they
// do on the wire's meaning.
import Long from 'long';
import { idToHex } from '../../src/pdata/ids.js';

export function canon(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Long.isLong(v)) return (v as Long).isZero() ? undefined : (v as Long).toString();
  if (v instanceof Uint8Array) return v.length === 0 ? undefined : idToHex(v);
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => canon(x) ?? null);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) {
      // protobufjs's oneof discriminators are derived, not data.
      if (key === 'value' || key === 'data') {
        const inner = (v as Record<string, unknown>)[key];
        if (typeof inner === 'string') continue;
      }
      const c = canon((v as Record<string, unknown>)[key]);
      if (c !== undefined) out[key] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (v === 0 || v === '' || v === false) return undefined;
  return v;
}
