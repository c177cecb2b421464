// The debug exporter's config: the Collector's verbosity and log sampling keys.
import { s, type Infer } from '../../config/schema.js';

export const debugExporterSchema = s.object({
  verbosity: s.enum(['basic', 'normal', 'detailed']).default('basic'),
  sampling_initial: s.int({ min: 0 }).default(2),
  sampling_thereafter: s.int({ min: 0 }).default(1),
});

export type DebugExporterConfig = Infer<typeof debugExporterSchema>;
