// `cumulativetodelta`: cumulative monotonic sums and histograms become deltas per stream, for
// backends that want increments. The stream logic is in processor.ts.
import type { ProcessorFactory } from '../../pipeline/component.js';
import { cumulativeToDeltaSchema, type CumulativeToDeltaConfig } from './config.js';
import { CumulativeToDeltaProcessor } from './processor.js';

export const cumulativeToDeltaProcessorFactory: ProcessorFactory<CumulativeToDeltaConfig> = {
  kind: 'processor',
  type: 'cumulativetodelta',
  description: 'converts cumulative monotonic sums and histograms to delta temporality per stream',
  signals: ['metrics'],
  mutates: true,
  schema: cumulativeToDeltaSchema,
  create: (settings, config) => new CumulativeToDeltaProcessor(settings, config),
};
