// The cardinality_limiter processor's configuration: schema, defaults and the type the processor is built from.
import { s, type Infer } from '../../config/schema.js';

const regexProblem = (pattern: string) => {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return `invalid regular expression "${pattern}": ${(err as Error).message}`;
  }
};

export const cardinalityLimiterSchema = s
  .object({
    mode: s.enum(['exact', 'probabilistic']).default('exact'),
    max_series_per_metric: s.int({ min: 1 }).default(10_000),
    /** Across all metrics; 0 = no cap. */
    max_series_total: s.int({ min: 0 }).default(0),
    /** Distinct values of one label of one metric; 0 = no cap (exact mode only). */
    max_values_per_label: s.int({ min: 0 }).default(0),
    overrides: s
      .list(
        s
          .object({
            metric: s.string().required(),
            match_type: s.enum(['strict', 'regexp']).default('strict'),
            max_series_per_metric: s.int({ min: 1 }).optional(),
            max_values_per_label: s.int({ min: 0 }).optional(),
          })
          .refine((o) => (o.match_type === 'regexp' ? regexProblem(o.metric) : undefined)),
      )
      .default([]),
    /** A series not seen for this long frees its slot. */
    series_ttl: s.duration().default(10 * 60_000),
    action: s.enum(['drop', 'strip_labels', 'overflow']).default('drop'),
    /** With action strip_labels: the labels removed from points of new series over a cap. */
    strip_labels: s.list(s.string()).default([]),
    /** Probabilistic mode: the Bloom filter's false-positive rate (a new series taken for a known one). */
    false_positive_rate: s.number({ min: 0.0001, max: 0.5 }).default(0.01),
    /** At most one warning per metric this often. */
    warning_interval: s.duration().default(60_000),
  })
  .refine((c) => {
    if (c.action === 'strip_labels' && c.strip_labels.length === 0) return 'action strip_labels needs strip_labels: [label names]';
    if (c.mode === 'probabilistic' && (c.max_values_per_label > 0 || c.overrides.some((o) => o.max_values_per_label))) return 'max_values_per_label needs mode exact';
    return undefined;
  });

export type CardinalityLimiterConfig = Infer<typeof cardinalityLimiterSchema>;
