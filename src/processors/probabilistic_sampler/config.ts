// The probabilistic_sampler processor's configuration: schema, defaults and the type the processor is built from.
import { s, type Infer } from '../../config/schema.js';

export const probabilisticSamplerSchema = s
  .object({
    sampling_percentage: s.number({ min: 0, max: 100 }).default(0),
    hash_seed: s.int({ min: 0, max: 0xffffffff }).optional(),
    /** Default: `proportional`, or `hash_seed` when a hash_seed is set or attribute_source is record (as the Collector decides). */
    mode: s.enum(['hash_seed', 'proportional', 'equalizing']).optional(),
    /** Hex digits of the threshold written to tracestate. */
    sampling_precision: s.int({ min: 1, max: 14 }).default(4),
    /** Items whose randomness cannot be determined (no trace id, malformed `rv`) are dropped. */
    fail_closed: s.bool().default(true),
    /** Logs: where the randomness comes from. */
    attribute_source: s.enum(['traceID', 'record']).default('traceID'),
    /** Logs with attribute_source record: the attribute whose value is hashed. */
    from_attribute: s.string().optional(),
    /** Logs: an attribute whose numeric value is that record's sampling percentage. */
    sampling_priority: s.string().optional(),
  })
  .refine((c) => {
    if (c.attribute_source === 'record' && !c.from_attribute) return 'attribute_source "record" needs from_attribute (the attribute to sample by)';
    return undefined;
  });

export type ProbabilisticSamplerConfig = Infer<typeof probabilisticSamplerSchema>;
