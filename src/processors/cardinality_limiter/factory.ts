// `cardinality_limiter` (sluice's own; the Collector has none): caps the series of each metric,
// of all metrics, and the values of each label, in exact or fixed-memory probabilistic mode, and
// drops, strips labels from, or folds into an overflow series what would pass a cap.
import type { ProcessorFactory } from '../../pipeline/component.js';
import { cardinalityLimiterSchema, type CardinalityLimiterConfig } from './config.js';
import { CardinalityLimiterProcessor } from './processor.js';

export const cardinalityLimiterProcessorFactory: ProcessorFactory<CardinalityLimiterConfig> = {
  kind: 'processor',
  type: 'cardinality_limiter',
  description: 'caps series per metric, in total and label values per label; drops, strips labels or folds into an overflow series',
  signals: ['metrics'],
  mutates: true,
  schema: cardinalityLimiterSchema,
  create: (settings, config) => new CardinalityLimiterProcessor(settings, config),
};
