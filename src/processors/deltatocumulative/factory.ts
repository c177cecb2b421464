// `deltatocumulative`: delta sums and histograms (explicit and exponential) are added up per
// stream into cumulative ones, for backends that only read cumulative data (Prometheus remote
// write). The stream logic is in processor.ts.
import type { ProcessorFactory } from '../../pipeline/component.js';
import { deltaToCumulativeSchema, type DeltaToCumulativeConfig } from './config.js';
import { DeltaToCumulativeProcessor } from './processor.js';

export const deltaToCumulativeProcessorFactory: ProcessorFactory<DeltaToCumulativeConfig> = {
  kind: 'processor',
  type: 'deltatocumulative',
  description: 'adds up delta sums and histograms per stream into cumulative temporality',
  signals: ['metrics'],
  mutates: true,
  schema: deltaToCumulativeSchema,
  create: (settings, config) => new DeltaToCumulativeProcessor(settings, config),
};
