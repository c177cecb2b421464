// Deep clone for copy-on-mutate at a fan-out. Long values and byte arrays are immutable by
// convention in sluice (nobody writes into an id or a timestamp in place), so they are shared;
// message objects keep their prototype so proto3 defaults still read through.
import Long from 'long';

export function deepClone<T>(value: T): T {
  return cloneValue(value) as T;
}

function cloneValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneValue(v[i]);
    return out;
  }
  if (v instanceof Uint8Array || Long.isLong(v)) return v;
  const out = Object.create(Object.getPrototypeOf(v) as object) as Record<string, unknown>;
  for (const key of Object.keys(v)) out[key] = cloneValue((v as Record<string, unknown>)[key]);
  return out;
}
