// `interval`: at most one point per stream per interval (the latest gauge or cumulative value,
// deltas added up), to cut the points per second an expensive backend is sent.
import type { ProcessorFactory } from '../../pipeline/component.js';
import { intervalSchema, type IntervalConfig } from './config.js';
import { IntervalProcessor } from './processor.js';

export const intervalProcessorFactory: ProcessorFactory<IntervalConfig> = {
  kind: 'processor',
  type: 'interval',
  description: 'sends one point per stream per interval: latest gauges and cumulative values, summed deltas',
  signals: ['metrics'],
  mutates: true,
  schema: intervalSchema,
  create: (settings, config) => new IntervalProcessor(settings, config),
};
