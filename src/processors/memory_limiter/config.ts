// The memory_limiter processor's configuration: schema, defaults and the type the processor is built from.
import { s, type Infer } from '../../config/schema.js';

export const memoryLimiterSchema = s
  .object({
    check_interval: s
      .duration()
      .required()
      .refine((ms) => (ms > 0 ? undefined : 'check_interval must be greater than 0')),
    // As in the Collector, 0 means "not set" for the four limits.
    limit_mib: s.int({ min: 0 }).default(0),
    /** Default: 20% of limit_mib. */
    spike_limit_mib: s.int({ min: 0 }).default(0),
    /** Of the total memory: the cgroup limit when there is one, else the host's memory. */
    limit_percentage: s.int({ min: 0, max: 100 }).default(0),
    /** Default: 20% of the limit. */
    spike_limit_percentage: s.int({ min: 0, max: 100 }).default(0),
    min_gc_interval_when_soft_limited: s.duration().default(10_000),
    min_gc_interval_when_hard_limited: s.duration().default(0),
  })
  .refine((c) => {
    const mib = c.limit_mib > 0;
    const pct = c.limit_percentage > 0;
    if (mib && pct) return 'set either limit_mib or limit_percentage, not both';
    if (!mib && !pct) return 'one of limit_mib or limit_percentage must be set to a value greater than 0';
    if (mib) {
      if (c.spike_limit_percentage > 0) return 'spike_limit_percentage goes with limit_percentage; with limit_mib use spike_limit_mib';
      if (c.spike_limit_mib >= c.limit_mib) return `spike_limit_mib (${c.spike_limit_mib}) must be smaller than limit_mib (${c.limit_mib})`;
    } else {
      if (c.spike_limit_mib > 0) return 'spike_limit_mib goes with limit_mib; with limit_percentage use spike_limit_percentage';
      if (c.spike_limit_percentage >= c.limit_percentage) {
        return `spike_limit_percentage (${c.spike_limit_percentage}) must be smaller than limit_percentage (${c.limit_percentage})`;
      }
    }
    return undefined;
  });

export type MemoryLimiterConfig = Infer<typeof memoryLimiterSchema>;
