// `tail_sampling`: holds each trace for `decision_wait`, then keeps or drops it whole by the
// configured policies, as the Collector's tail sampling processor does. Policies in policies.ts,
// the holding in processor.ts.
import type { ProcessorFactory } from '../../pipeline/component.js';
import { tailSamplingSchema, type TailSamplingConfig } from './config.js';
import { TailSamplingProcessor } from './processor.js';

export const tailSamplingProcessorFactory: ProcessorFactory<TailSamplingConfig> = {
  kind: 'processor',
  type: 'tail_sampling',
  description: 'keeps or drops whole traces after decision_wait, by policies (latency, status, attributes, rate, composite, ...)',
  signals: ['traces'],
  mutates: true,
  schema: tailSamplingSchema,
  create: (settings, config) => new TailSamplingProcessor(settings, config),
};
