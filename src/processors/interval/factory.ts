// `interval`: at most one point per stream per interval (the latest gauge or cumulative value,
// deltas added up), to cut the points per second an expensive backend is sent.
import { s, type Infer } from '../../config/schema.js';
import type { ProcessorFactory } from '../../pipeline/component.js';
import { IntervalProcessor } from './processor.js';

const intervalSchema = s.object({
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

export const intervalProcessorFactory: ProcessorFactory<IntervalConfig> = {
  kind: 'processor',
  type: 'interval',
  description: 'sends one point per stream per interval: latest gauges and cumulative values, summed deltas',
  signals: ['metrics'],
  mutates: true,
  schema: intervalSchema,
  create: (settings, config) => new IntervalProcessor(settings, config),
};
