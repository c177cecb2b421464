// What the temporality processors (cumulativetodelta, deltatocumulative) share: the Collector's
// include/exclude metric filter, a stream's identity, a bounded table of per-stream state that
// forgets streams not seen for a while, and walking and pruning a request's metrics.
import { s, type Infer } from '../config/schema.js';
import type { InstrumentationScope, KeyValue, Metric, MetricsData, Resource } from '../pdata/types.js';
import { attributesKey, resourceKey } from '../pdata/resource.js';
import { metricPointCount } from '../pdata/count.js';

const matchSchema = s
  .object({
    metrics: s.list(s.string()).default([]),
    match_type: s.enum(['strict', 'regexp']).default('strict'),
    metric_types: s.list(s.enum(['sum', 'histogram', 'exponential_histogram'])).default([]),
  })
  .refine((m) => {
    if (m.match_type !== 'regexp') return undefined;
    for (const pattern of m.metrics) {
      try {
        new RegExp(pattern);
      } catch (err) {
        return `invalid regular expression "${pattern}": ${(err as Error).message}`;
      }
    }
    return undefined;
  });

export const metricFilterConfig = { include: matchSchema.optional(), exclude: matchSchema.optional() };
type Match = Infer<typeof matchSchema>;

export type MetricKind = 'sum' | 'histogram' | 'exponential_histogram';

/** include/exclude as the Collector reads them: names strictly or by regexp, optionally by metric type. */
export class MetricFilter {
  private readonly include?: (name: string, kind: MetricKind) => boolean;
  private readonly exclude?: (name: string, kind: MetricKind) => boolean;

  constructor(config: { include?: Match; exclude?: Match }) {
    this.include = config.include && MetricFilter.matcher(config.include);
    this.exclude = config.exclude && MetricFilter.matcher(config.exclude);
  }

  private static matcher(m: Match): (name: string, kind: MetricKind) => boolean {
    const names = m.match_type === 'regexp' ? m.metrics.map((p) => new RegExp(p)) : undefined;
    const strict = new Set(m.metrics);
    return (name, kind) => {
      if (m.metric_types.length && !m.metric_types.includes(kind)) return false;
      if (m.metrics.length === 0) return m.metric_types.length > 0;
      return names ? names.some((re) => re.test(name)) : strict.has(name);
    };
  }

  matches(name: string, kind: MetricKind): boolean {
    if (this.include && !this.include(name, kind)) return false;
    return !(this.exclude && this.exclude(name, kind));
  }
}

/** A stream: resource, scope, metric name/unit/type and the point's attributes. */
export function streamKey(resourceId: string, scopeId: string, metric: Metric, kind: MetricKind, attributes: readonly KeyValue[]): string {
  return `${resourceId}\u0003${scopeId}\u0003${metric.name ?? ''}\u0003${metric.unit ?? ''}\u0003${kind}\u0003${attributesKey(attributes)}`;
}

/**
 * Per-stream state, least recently seen first. A stream not seen for `maxStaleMs` is forgotten
 * (0: never); at `maxStreams` a new stream is refused rather than an old one evicted, so the
 * streams already tracked keep correct values.
 */
export class StreamTable<S> {
  private readonly streams = new Map<string, { state: S; seen: number }>();

  constructor(
    private readonly maxStreams: number,
    private readonly maxStaleMs: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  get(key: string): S | undefined {
    return this.streams.get(key)?.state;
  }

  /** Stores the state; false when the table is full and `key` is new. */
  set(key: string, state: S): boolean {
    const known = this.streams.delete(key);
    if (!known && this.maxStreams > 0 && this.streams.size >= this.maxStreams) return false;
    this.streams.set(key, { state, seen: this.now() });
    return true;
  }

  delete(key: string): void {
    this.streams.delete(key);
  }

  /** Forgets streams not seen within max staleness; returns how many. */
  sweep(): number {
    if (this.maxStaleMs <= 0) return 0;
    const cutoff = this.now() - this.maxStaleMs;
    let removed = 0;
    for (const [key, entry] of this.streams) {
      if (entry.seen > cutoff) break;
      this.streams.delete(key);
      removed++;
    }
    return removed;
  }
}

export interface MetricVisit {
  metric: Metric;
  resource: Resource | undefined;
  resourceId: string;
  scope: InstrumentationScope | undefined;
  scopeId: string;
}

/** Calls `visit` for each metric, then drops metrics left without points and emptied scopes and resources; returns the points left. */
export function forEachMetric(data: MetricsData, visit: (v: MetricVisit) => void): number {
  let points = 0;
  data.resourceMetrics = (data.resourceMetrics ?? []).filter((rm) => {
    const resourceId = resourceKey(rm.resource, rm.schemaUrl);
    rm.scopeMetrics = (rm.scopeMetrics ?? []).filter((sm) => {
      const scopeId = `${sm.scope?.name ?? ''}\u0000${sm.scope?.version ?? ''}`;
      sm.metrics = (sm.metrics ?? []).filter((metric) => {
        visit({ metric, resource: rm.resource, resourceId, scope: sm.scope, scopeId });
        const n = metricPointCount(metric);
        points += n;
        return n > 0;
      });
      return sm.metrics.length > 0;
    });
    return rm.scopeMetrics.length > 0;
  });
  return points;
}
