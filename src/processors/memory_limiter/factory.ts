// `memory_limiter`: refuses data while the heap is above its soft limit, so the process sheds
// load (clients retry) instead of running out of memory.
import type { ProcessorFactory } from '../../pipeline/component.js';
import { memoryLimiterSchema, type MemoryLimiterConfig } from './config.js';
import { MemoryLimiterProcessor } from './memory-limiter.js';

export const memoryLimiterProcessorFactory: ProcessorFactory<MemoryLimiterConfig> = {
  kind: 'processor',
  type: 'memory_limiter',
  description: 'refuses data (retryable) while memory usage is above the soft limit; forces a GC above the hard limit',
  signals: ['traces', 'metrics', 'logs'],
  // Passes envelopes on untouched or refuses them; never changes data.
  mutates: false,
  schema: memoryLimiterSchema,
  // As in the Collector, one limiter per id guards every pipeline that lists it.
  shared: true,
  create: (settings, config) => new MemoryLimiterProcessor(settings, config),
};
