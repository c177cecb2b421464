// The interval processor's configuration: schema, defaults and the type the processor is built from.
import { s, type Infer } from '../../config/schema.js';

export const intervalSchema = s.object({
  interval: s
    .duration()
    .default(60_000)
    .refine((ms) => (ms > 0 ? undefined : 'interval must be greater than 0')),
  /** Gauges and summaries pass through untouched when set, as in the Collector. */
  pass_through: s.object({
    gauge: s.bool().default(false),
    summary: s.bool().default(false),
  }),
  /** Streams held at once; points of further streams pass through unaggregated. */
  max_streams: s.int({ min: 1 }).default(100_000),
});

export type IntervalConfig = Infer<typeof intervalSchema>;
