// `probabilistic_sampler`: head sampling of spans (by trace) and log records, with the Collector's
// keys and modes. Decisions in sampler.ts; the stream side in processor.ts.
import type { ProcessorFactory } from '../../pipeline/component.js';
import { probabilisticSamplerSchema, type ProbabilisticSamplerConfig } from './config.js';
import { ProbabilisticSamplerProcessor } from './processor.js';

export const probabilisticSamplerProcessorFactory: ProcessorFactory<ProbabilisticSamplerConfig> = {
  kind: 'processor',
  type: 'probabilistic_sampler',
  description: 'head sampling of traces (whole traces, consistent across gateways) and log records',
  signals: ['traces', 'logs'],
  // Drops items from the data it is given and writes tracestate.
  mutates: true,
  schema: probabilisticSamplerSchema,
  create: (settings, config, signal) => new ProbabilisticSamplerProcessor(settings, config, signal),
};
