// The deltatocumulative processor's configuration: schema, defaults and the type the processor is built from.
import { s, type Infer } from '../../config/schema.js';
import { metricFilterConfig } from '../metric-streams.js';

export const deltaToCumulativeSchema = s.object({
  ...metricFilterConfig,
  /** Streams not updated for this long are forgotten; their next point starts them over. 0 = never. */
  max_stale: s.duration().default(5 * 60_000),
  /** Bound on tracked streams: points of new streams beyond it are dropped and counted. 0 = no bound. */
  max_streams: s.int({ min: 0 }).default(0),
});

export type DeltaToCumulativeConfig = Infer<typeof deltaToCumulativeSchema>;
