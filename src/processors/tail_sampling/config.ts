// The tail_sampling processor's configuration: schema, defaults and the type the processor is built from.
import { s, type Infer } from '../../config/schema.js';

const SIMPLE_TYPES = ['always_sample', 'latency', 'status_code', 'string_attribute', 'numeric_attribute', 'boolean_attribute', 'probabilistic', 'rate_limiting', 'span_count', 'trace_state'] as const;

const simpleFields = {
  name: s.string().required(),
  latency: s.object({ threshold_ms: s.int({ min: 0 }).default(0), upper_threshold_ms: s.int({ min: 0 }).default(0) }).optional(),
  status_code: s.object({ status_codes: s.list(s.enum(['OK', 'ERROR', 'UNSET'])).required() }).optional(),
  string_attribute: s
    .object({
      key: s.string().required(),
      values: s.list(s.string()).required(),
      enabled_regex_matching: s.bool().default(false),
      cache_max_size: s.int({ min: 0 }).default(0),
      invert_match: s.bool().default(false),
    })
    .refine((c) => {
      if (!c.enabled_regex_matching) return undefined;
      for (const v of c.values) {
        try {
          new RegExp(v);
        } catch (err) {
          return `invalid regular expression "${v}": ${(err as Error).message}`;
        }
      }
      return undefined;
    })
    .optional(),
  numeric_attribute: s.object({ key: s.string().required(), min_value: s.number().optional(), max_value: s.number().optional(), invert_match: s.bool().default(false) }).optional(),
  boolean_attribute: s.object({ key: s.string().required(), value: s.bool().required(), invert_match: s.bool().default(false) }).optional(),
  probabilistic: s.object({ hash_salt: s.string().default(''), sampling_percentage: s.number({ min: 0, max: 100 }).required() }).optional(),
  rate_limiting: s.object({ spans_per_second: s.int({ min: 0 }).required() }).optional(),
  span_count: s.object({ min_spans: s.int({ min: 0 }).default(0), max_spans: s.int({ min: 0 }).default(0) }).optional(),
  trace_state: s.object({ key: s.string().required(), values: s.list(s.string()).required() }).optional(),
};

/** Each policy needs the section of its own type (the Collector reads only that one). */
function needsSection(p: { type: string; name: string } & Record<string, unknown>): string | undefined {
  if (p.type === 'always_sample') return undefined;
  return p[p.type] === undefined ? `policy "${p.name}" of type ${p.type} needs a "${p.type}" section` : undefined;
}

const subPolicySchema = s.object({ ...simpleFields, type: s.enum(SIMPLE_TYPES).required() }).refine(needsSection);

const policySchema = s
  .object({
    ...simpleFields,
    type: s.enum([...SIMPLE_TYPES, 'and', 'drop', 'composite']).required(),
    and: s.object({ and_sub_policy: s.list(subPolicySchema).required() }).optional(),
    drop: s.object({ drop_sub_policy: s.list(subPolicySchema).required() }).optional(),
    composite: s
      .object({
        max_total_spans_per_second: s.int({ min: 0 }).required(),
        policy_order: s.list(s.string()).required(),
        composite_sub_policy: s.list(subPolicySchema).required(),
        rate_allocation: s.list(s.object({ policy: s.string().required(), percent: s.number({ min: 0, max: 100 }).required() })).default([]),
      })
      .refine((c) => {
        const names = new Set(c.composite_sub_policy.map((p) => p.name));
        const missing = c.policy_order.find((n) => !names.has(n));
        if (missing) return `policy_order names "${missing}", which is not a composite_sub_policy`;
        const total = c.rate_allocation.reduce((n, a) => n + a.percent, 0);
        return total > 100 ? `rate_allocation adds up to ${total} %, more than 100` : undefined;
      })
      .optional(),
  })
  .refine(needsSection);

export const tailSamplingSchema = s.object({
  decision_wait: s
    .duration()
    .default(30_000)
    .refine((ms) => (ms > 0 ? undefined : 'decision_wait must be greater than 0')),
  /** Traces held at once: past it, the oldest is decided early (counted). */
  num_traces: s.int({ min: 1 }).default(50_000),
  /**
   * sluice's own bound on one trace's held spans: a trace reaching it is decided at once (counted),
   * and its later spans follow that decision as late spans do, so one runaway trace cannot hold the memory of thousands.
   */
  max_spans_per_trace: s.int({ min: 1 }).default(10_000),
  /** A sizing hint in the Collector; accepted and unused (the trace map grows as needed up to num_traces). */
  expected_new_traces_per_sec: s.int({ min: 0 }).default(0),
  decision_cache: s.object({ sampled_cache_size: s.int({ min: 0 }).default(0), non_sampled_cache_size: s.int({ min: 0 }).default(0) }),
  policies: s
    .list(policySchema)
    .required()
    .refine((list) => {
      if (list.length === 0) return 'at least one policy is required';
      const seen = new Set<string>();
      for (const p of list) {
        if (seen.has(p.name)) return `duplicate policy name "${p.name}"`;
        seen.add(p.name);
      }
      return undefined;
    }),
});

export type TailSamplingConfig = Infer<typeof tailSamplingSchema>;
