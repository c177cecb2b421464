// `cumulativetodelta`: cumulative monotonic sums and histograms become deltas per stream, for
// backends that want increments. The stream logic is in processor.ts.
import { s, type Infer } from '../../config/schema.js';
import type { ProcessorFactory } from '../../pipeline/component.js';
import { metricFilterConfig } from '../metric-streams.js';
import { CumulativeToDeltaProcessor } from './processor.js';

const cumulativeToDeltaSchema = s.object({
  ...metricFilterConfig,
  /** Streams not seen for this long are forgotten (their next point is a new first point); 0 = never. */
  max_staleness: s.duration().default(0),
  /** The first point of a stream: `auto` keeps it when the stream started after sluice did, `keep`, or `drop`. */
  initial_value: s.enum(['auto', 'keep', 'drop']).default('auto'),
  /** Bound on tracked streams: points of new streams beyond it are dropped. 0 = no bound. */
  max_streams: s.int({ min: 0 }).default(0),
});

export type CumulativeToDeltaConfig = Infer<typeof cumulativeToDeltaSchema>;

export const cumulativeToDeltaProcessorFactory: ProcessorFactory<CumulativeToDeltaConfig> = {
  kind: 'processor',
  type: 'cumulativetodelta',
  description: 'converts cumulative monotonic sums and histograms to delta temporality per stream',
  signals: ['metrics'],
  mutates: true,
  schema: cumulativeToDeltaSchema,
  create: (settings, config) => new CumulativeToDeltaProcessor(settings, config),
};
