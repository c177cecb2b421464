// The spanmetrics connector's configuration: schema, defaults and the type the connector is built from.
import { s, type Infer } from '../../config/schema.js';

/** The Collector's default explicit buckets, in ms. */
export const DEFAULT_BUCKETS_MS = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000];

export const spanMetricsSchema = s
  .object({
    histogram: s.object({
      disable: s.bool().default(false),
      unit: s.enum(['ms', 's']).default('ms'),
      explicit: s.object({ buckets: s.list(s.duration()).optional() }).optional(),
      exponential: s.object({ max_size: s.int({ min: 1 }).default(160) }).optional(),
    }),
    dimensions: s.list(s.object({ name: s.string().required(), default: s.string().optional() })).default([]),
    exclude_dimensions: s.list(s.string()).default([]),
    aggregation_temporality: s.enum(['AGGREGATION_TEMPORALITY_CUMULATIVE', 'AGGREGATION_TEMPORALITY_DELTA']).default('AGGREGATION_TEMPORALITY_CUMULATIVE'),
    metrics_flush_interval: s
      .duration()
      .default(60_000)
      .refine((ms) => (ms > 0 ? undefined : 'metrics_flush_interval must be greater than 0')),
    /** Series not updated for this long stop being sent; 0 = never. */
    metrics_expiration: s.duration().default(0),
    exemplars: s.object({ enabled: s.bool().default(false), max_per_data_point: s.int({ min: 1 }).default(5) }),
    /** Series tracked per resource (the oldest is forgotten first). */
    dimensions_cache_size: s.int({ min: 1 }).default(1000),
    /** Resources tracked (the oldest is forgotten first). */
    resource_metrics_cache_size: s.int({ min: 1 }).default(1000),
    /** Resource attributes that identify a resource's metrics; default: all of them. */
    resource_metrics_key_attributes: s.list(s.string()).default([]),
    namespace: s.string().default('traces.span.metrics'),
  })
  .refine((c) => (c.histogram.explicit && c.histogram.exponential ? 'set either histogram.explicit or histogram.exponential, not both' : undefined));

export type SpanMetricsConfig = Infer<typeof spanMetricsSchema>;
