// The prometheusremotewrite exporter's config, with the Collector's keys (its queue is
// remote_write_queue).
import { s, type Infer } from '../../config/schema.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { clientTlsSchema } from '../client-tls.js';

// The queue is configured as remote_write_queue below; timeout and retries are the helper's own.
const { timeout, retry_on_failure } = exporterHelperConfig;

export const remoteWriteSchema = s.object({
  endpoint: s.string().required().refine((v) => (/^https?:\/\//.test(v) ? undefined : `expected an http:// or https:// URL, got "${v}"`)),
  headers: s.map(s.string()).default({}),
  external_labels: s.map(s.string()).default({}),
  namespace: s.string().optional(),
  /** Requests are split so each stays under this many (estimated) bytes before compression. */
  max_batch_size_bytes: s.int({ min: 1024 }).default(3_000_000),
  add_metric_suffixes: s.bool().default(true),
  resource_to_telemetry_conversion: s.object({ enabled: s.bool().default(false) }),
  target_info: s.object({ enabled: s.bool().default(true) }),
  tls: clientTlsSchema,
  remote_write_queue: s.object({
    enabled: s.bool().default(true),
    queue_size: s.int({ min: 1 }).default(10_000),
    num_consumers: s.int({ min: 1 }).default(5),
  }),
  timeout,
  retry_on_failure,
});

export type RemoteWriteConfig = Infer<typeof remoteWriteSchema>;
