// `metricstransform`: the Collector's metrics transform processor for the operations users move
// over most: rename, copy (insert) and combine metrics by name or regexp, and reshape their labels
// (add, rename, rename values, delete values, aggregate away labels or label values).
import type { ProcessorFactory } from '../../pipeline/component.js';
import { metricsTransformSchema, type MetricsTransformConfig } from './config.js';
import { MetricsTransformProcessor } from './processor.js';

export const metricsTransformProcessorFactory: ProcessorFactory<MetricsTransformConfig> = {
  kind: 'processor',
  type: 'metricstransform',
  description: 'renames, copies and combines metrics and reshapes or aggregates their labels',
  signals: ['metrics'],
  mutates: true,
  schema: metricsTransformSchema,
  create: (settings, config) => new MetricsTransformProcessor(settings, config),
};
