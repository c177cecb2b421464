// `deltatocumulative`: delta sums and histograms (explicit and exponential) are added up per
// stream into cumulative ones, for backends that only read cumulative data (Prometheus remote
// write). The stream logic is in processor.ts.
import { s, type Infer } from '../../config/schema.js';
import type { ProcessorFactory } from '../../pipeline/component.js';
import { metricFilterConfig } from '../metric-streams.js';
import { DeltaToCumulativeProcessor } from './processor.js';

const deltaToCumulativeSchema = s.object({
  ...metricFilterConfig,
  /** Streams not updated for this long are forgotten; their next point starts them over. 0 = never. */
  max_stale: s.duration().default(5 * 60_000),
  /** Bound on tracked streams: points of new streams beyond it are dropped and counted. 0 = no bound. */
  max_streams: s.int({ min: 0 }).default(0),
});

export type DeltaToCumulativeConfig = Infer<typeof deltaToCumulativeSchema>;

export const deltaToCumulativeProcessorFactory: ProcessorFactory<DeltaToCumulativeConfig> = {
  kind: 'processor',
  type: 'deltatocumulative',
  description: 'adds up delta sums and histograms per stream into cumulative temporality',
  signals: ['metrics'],
  mutates: true,
  schema: deltaToCumulativeSchema,
  create: (settings, config) => new DeltaToCumulativeProcessor(settings, config),
};
