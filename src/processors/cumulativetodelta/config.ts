// The cumulativetodelta processor's configuration: schema, defaults and the type the processor is built from.
import { s, type Infer } from '../../config/schema.js';
import { metricFilterConfig } from '../metric-streams.js';

export const cumulativeToDeltaSchema = s.object({
  ...metricFilterConfig,
  /** Streams not seen for this long are forgotten (their next point is a new first point); 0 = never. */
  max_staleness: s.duration().default(0),
  /** The first point of a stream: `auto` keeps it when the stream started after sluice did, `keep`, or `drop`. */
  initial_value: s.enum(['auto', 'keep', 'drop']).default('auto'),
  /** Bound on tracked streams: points of new streams beyond it are dropped. 0 = no bound. */
  max_streams: s.int({ min: 0 }).default(0),
});

export type CumulativeToDeltaConfig = Infer<typeof cumulativeToDeltaSchema>;
