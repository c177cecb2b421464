// Cumulative → delta per series, for backends that count increments (StatsD, Datadog counts).
// A new start time or a smaller value is a reset; the first value of a series is its baseline.
import type { KeyValue } from './types.js';
import { anyValueToString } from './attributes.js';

interface Previous {
  start: string;
  value: number;
}

export class CumulativeToDelta {
  private readonly previous = new Map<string, Previous>();

  /** `maxSeries` bounds the memory: beyond it the least recently updated series is forgotten. */
  constructor(private readonly maxSeries: number) {}

  /** The increase since the series' previous value; undefined on first sight. */
  delta(name: string, attributes: readonly KeyValue[], start: string, value: number): number | undefined {
    const key = `${name}\u0000${attributeKey(attributes)}`;
    const prev = this.previous.get(key);
    // Re-inserting keeps the Map in least-recently-updated order, so the first key is the one to evict.
    this.previous.delete(key);
    if (this.previous.size >= this.maxSeries) this.previous.delete(this.previous.keys().next().value!);
    this.previous.set(key, { start, value });
    if (!prev) return undefined;
    if (prev.start !== start || value < prev.value) return value;
    return value - prev.value;
  }
}

function attributeKey(attributes: readonly KeyValue[]): string {
  return attributes
    .map((kv) => `${kv.key}=${anyValueToString(kv.value)}`)
    .sort()
    .join('\u0001');
}
