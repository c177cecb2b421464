// `batch`: groups envelopes into batches by size or time, per combination of client metadata.
import type { ProcessorFactory } from '../../pipeline/component.js';
import { batchSchema, type BatchProcessorConfig } from './config.js';
import { BatchProcessor } from './batch-processor.js';

export const batchProcessorFactory: ProcessorFactory<BatchProcessorConfig> = {
  kind: 'processor',
  type: 'batch',
  description: 'batches data by size and timeout, separately per client-metadata combination',
  signals: ['traces', 'metrics', 'logs'],
  // Batches are new request objects that reference the original resource, scope and item objects;
  // inputs are never modified, so a fan-out may share them with other readers.
  mutates: false,
  schema: batchSchema,
  create: (settings, config, signal) => new BatchProcessor(settings, config, signal),
};
