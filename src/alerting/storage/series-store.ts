// The samples inline alert rules query: a bounded, in-memory window per series. Each series keeps
// its samples in a ring over one ArrayBuffer (timestamps in the first half, values in the second),
// so a steady stream of appends and trims reuses the same memory; an inverted index answers the
// `=` matchers rules almost always carry.
import type { LabelMatcher } from '../promql/ast.js';
import type { Queryable } from '../promql/engine.js';
import type { SelectorReach } from '../promql/lookback.js';
import { compilePromRegex } from '../promql/regex.js';
import { compareLabels, getLabel, labelsKey, type Labels } from '../labels.js';

/** `not_selected`: no rule reads the series, so it is not kept (not an error). */
export type AppendResult = 'ok' | 'out_of_order' | 'series_limit' | 'not_selected';

export interface SeriesStoreOptions {
  maxSeries: number;
  /** How far behind the newest sample queries reach, for every series until `setSelectors`. */
  retentionMs: number;
}



export interface SelectedSeries {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
}

/** A power of two, so ring positions wrap with a mask. */
const INITIAL_CAPACITY = 4;

class Series {
  /** How far back this series is read: the longest reach of the selectors that match it. */
  retentionMs = 0;
  ts: Float64Array;
  vs: Float64Array;
  head = 0;
  len = 0;
  lastTs = -Infinity;
  lastValue = 0;

  constructor(
    readonly id: number,
    readonly labels: Labels,
  ) {
    [this.ts, this.vs] = allocate(INITIAL_CAPACITY);
  }

  get capacity(): number {
    return this.ts.length;
  }

  push(t: number, v: number): void {
    if (this.len === this.ts.length) this.resize(this.ts.length * 2);
    const i = (this.head + this.len) & (this.ts.length - 1);
    this.ts[i] = t;
    this.vs[i] = v;
    this.len++;
    this.lastTs = t;
    this.lastValue = v;
  }

  /** Drops samples older than `cutoff`; returns how many went. */
  trim(cutoff: number): number {
    const mask = this.ts.length - 1;
    let n = 0;
    while (n < this.len && this.ts[(this.head + n) & mask]! < cutoff) n++;
    this.head = (this.head + n) & mask;
    this.len -= n;
    return n;
  }

  resize(capacity: number): void {
    const [ts, vs] = allocate(capacity);
    const cap = this.ts.length;
    const first = Math.min(this.len, cap - this.head);
    ts.set(this.ts.subarray(this.head, this.head + first));
    vs.set(this.vs.subarray(this.head, this.head + first));
    ts.set(this.ts.subarray(0, this.len - first), first);
    vs.set(this.vs.subarray(0, this.len - first), first);
    this.ts = ts;
    this.vs = vs;
    this.head = 0;
  }

  /** Ring offset (from head) of the first sample at or after `t`. */
  lowerBound(t: number): number {
    const mask = this.ts.length - 1;
    let lo = 0;
    let hi = this.len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[(this.head + mid) & mask]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Ring offset of the first sample after `t`. */
  upperBound(t: number): number {
    const mask = this.ts.length - 1;
    let lo = 0;
    let hi = this.len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[(this.head + mid) & mask]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Samples [from, to) as views when they do not wrap around the ring, copies when they do. */
  slice(from: number, to: number): { timestamps: Float64Array; values: Float64Array } {
    const cap = this.ts.length;
    const start = (this.head + from) & (cap - 1);
    const n = to - from;
    if (start + n <= cap) return { timestamps: this.ts.subarray(start, start + n), values: this.vs.subarray(start, start + n) };
    const timestamps = new Float64Array(n);
    const values = new Float64Array(n);
    const first = cap - start;
    timestamps.set(this.ts.subarray(start));
    values.set(this.vs.subarray(start));
    timestamps.set(this.ts.subarray(0, n - first), first);
    values.set(this.vs.subarray(0, n - first), first);
    return { timestamps, values };
  }
}

function allocate(capacity: number): [Float64Array, Float64Array] {
  const buffer = new ArrayBuffer(capacity * 16);
  return [new Float64Array(buffer, 0, capacity), new Float64Array(buffer, capacity * 8, capacity)];
}

const scratch = new Float64Array(2);
const scratchWords = new BigUint64Array(scratch.buffer);

/** Equal as stored bits, so a repeated NaN (or staleness marker) counts as a duplicate and -0 differs from 0. */
function sameBits(a: number, b: number): boolean {
  scratch[0] = a;
  scratch[1] = b;
  return scratchWords[0] === scratchWords[1];
}

type Predicate = (value: string) => boolean;

const regexCache = new Map<string, RegExp>();

function regexFor(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    re = compilePromRegex(source);
    // Rule expressions are fixed, so the cache only outgrows them if callers build regexes freely.
    if (regexCache.size >= 1024) regexCache.clear();
    regexCache.set(source, re);
  }
  return re;
}

function predicate(m: LabelMatcher): Predicate {
  const want = m.value;
  switch (m.op) {
    case '=':
      return (v) => v === want;
    case '!=':
      return (v) => v !== want;
    case '=~': {
      const re = regexFor(want);
      return (v) => re.test(v);
    }
    case '!~': {
      const re = regexFor(want);
      return (v) => !re.test(v);
    }
  }
}

export class SeriesStore implements Queryable {
  private readonly maxSeries: number;
  private retentionMs: number;
  private readonly byKey = new Map<string, Series>();
  private readonly slots: (Series | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** label name → label value → ids of the series carrying that pair. */
  private readonly postings = new Map<string, Map<string, number[]>>();
  private newest = -Infinity;
  private samples = 0;
  /** Each series' place in label order, rebuilt only after series come or go. */
  private rank: Int32Array | undefined;
  private selectors: { reachMs: number; tests: (readonly [string, Predicate])[] }[] | undefined;
  /** select() answers in label order, as Prometheus's storage does, so the engine need not sort. */
  readonly sortedByLabels = true;

  constructor(options: SeriesStoreOptions) {
    this.maxSeries = options.maxSeries;
    this.retentionMs = options.retentionMs;
  }

  get seriesCount(): number {
    return this.byKey.size;
  }

  get sampleCount(): number {
    return this.samples;
  }

  /** Sample slots allocated across all series, to see that steady appends reuse memory. */
  get capacity(): number {
    let total = 0;
    for (const s of this.byKey.values()) total += s.capacity;
    return total;
  }

  /**
   * Keeps just what the rules read: a series no selector matches is not stored at all, and each
   * series keeps samples only as far back as the longest selector matching it reaches (a 30d SLO
   * window costs a month of its own series, not of every series). Existing series are re-judged;
   * those no longer read go at the next gc.
   */
  setSelectors(selectors: readonly SelectorReach[]): void {
    this.selectors = selectors.map((sel) => ({ reachMs: sel.reachMs, tests: sel.matchers.map((m) => [m.name, predicate(m)] as const) }));
    for (const s of this.byKey.values()) s.retentionMs = this.reachOf(s.labels);
  }

  private reachOf(labels: Labels): number {
    if (!this.selectors) return this.retentionMs;
    let reach = -1;
    for (const sel of this.selectors) {
      if (sel.reachMs > reach && sel.tests.every(([name, test]) => test(getLabel(labels, name)))) reach = sel.reachMs;
    }
    return reach;
  }

  /** `labels` must be normalized (sorted, no empty values); the store keeps the reference. */
  append(labels: Labels, timestampMs: number, value: number): AppendResult {
    const key = labelsKey(labels);
    let s = this.byKey.get(key);
    if (s) {
      if (timestampMs <= s.lastTs) {
        return timestampMs === s.lastTs && sameBits(value, s.lastValue) ? 'ok' : 'out_of_order';
      }
    } else {
      const reach = this.reachOf(labels);
      if (reach < 0) return 'not_selected';
      if (this.byKey.size >= this.maxSeries) return 'series_limit';
      s = this.create(key, labels);
      s.retentionMs = reach;
    }
    if (timestampMs > this.newest) this.newest = timestampMs;
    // Trimming first frees ring slots the new sample can take, so a full window does not grow.
    this.samples -= s.trim(this.newest - s.retentionMs);
    s.push(timestampMs, value);
    this.samples++;
    return 'ok';
  }

  /**
   * Trims every series to the retention window ending at the later of `nowMs` and the newest
   * sample, and forgets the series left without samples.
   */
  gc(nowMs: number): void {
    const end = Math.max(nowMs, this.newest);
    const dead: Series[] = [];
    for (const s of this.byKey.values()) {
      this.samples -= s.retentionMs < 0 ? s.trim(Infinity) : s.trim(end - s.retentionMs);
      if (s.len === 0) dead.push(s);
      else if (s.capacity > INITIAL_CAPACITY && s.len * 4 <= s.capacity) s.resize(s.capacity / 2);
    }
    if (dead.length > 0) this.remove(dead);
  }

  select(matchers: readonly LabelMatcher[], minMs: number, maxMs: number): SelectedSeries[] {
    let indexed = -1;
    let candidates: readonly number[] | undefined;
    for (let i = 0; i < matchers.length; i++) {
      const m = matchers[i]!;
      // `name=""` also matches series without the label, which the index cannot list.
      if (m.op !== '=' || m.value === '') continue;
      const ids = this.postings.get(m.name)?.get(m.value);
      if (!ids) return [];
      if (!candidates || ids.length < candidates.length) {
        candidates = ids;
        indexed = i;
      }
    }
    const names: string[] = [];
    const tests: Predicate[] = [];
    for (let i = 0; i < matchers.length; i++) {
      if (i === indexed) continue;
      names.push(matchers[i]!.name);
      tests.push(predicate(matchers[i]!));
    }
    const hits: Series[] = [];
    const visit = (s: Series): void => {
      for (let j = 0; j < tests.length; j++) if (!tests[j]!(getLabel(s.labels, names[j]!))) return;
      hits.push(s);
    };
    if (candidates) for (const id of candidates) visit(this.slots[id]!);
    else for (const s of this.byKey.values()) visit(s);
    if (hits.length > 1) {
      const rank = this.ranks();
      hits.sort((a, b) => rank[a.id]! - rank[b.id]!);
    }
    const out: SelectedSeries[] = [];
    for (const s of hits) {
      const from = s.lowerBound(minMs);
      const to = s.upperBound(maxMs);
      if (from < to) out.push({ labels: s.labels, ...s.slice(from, to) });
    }
    return out;
  }

  private ranks(): Int32Array {
    if (this.rank) return this.rank;
    const live = [...this.byKey.values()].sort((a, b) => compareLabels(a.labels, b.labels));
    const rank = new Int32Array(this.slots.length);
    live.forEach((s, i) => (rank[s.id] = i));
    return (this.rank = rank);
  }

  private create(key: string, labels: Labels): Series {
    const id = this.freeSlots.pop() ?? this.slots.length;
    const s = new Series(id, labels);
    this.slots[id] = s;
    this.rank = undefined;
    this.byKey.set(key, s);
    for (const [name, value] of labels) {
      let values = this.postings.get(name);
      if (!values) this.postings.set(name, (values = new Map()));
      const ids = values.get(value);
      if (ids) ids.push(id);
      else values.set(value, [id]);
    }
    return s;
  }

  /** Unindexes a batch at once, so each posting list is rewritten once however many of its series go. */
  private remove(dead: readonly Series[]): void {
    this.rank = undefined;
    const gone = new Set<number>();
    const touched = new Map<string, Set<string>>();
    for (const s of dead) {
      gone.add(s.id);
      this.byKey.delete(labelsKey(s.labels));
      this.slots[s.id] = undefined;
      for (const [name, value] of s.labels) {
        let values = touched.get(name);
        if (!values) touched.set(name, (values = new Set()));
        values.add(value);
      }
    }
    for (const [name, values] of touched) {
      const byValue = this.postings.get(name)!;
      for (const value of values) {
        const kept = byValue.get(value)!.filter((id) => !gone.has(id));
        if (kept.length > 0) byValue.set(value, kept);
        else byValue.delete(value);
      }
      if (byValue.size === 0) this.postings.delete(name);
    }
    for (const id of gone) this.freeSlots.push(id);
  }
}
