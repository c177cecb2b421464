// The batch processor's configuration: schema, defaults and the type the processor is built from.
import { s, type Infer } from '../../config/schema.js';

export const batchSchema = s
  .object({
    /** Items (spans, data points, log records) that trigger a send; a trigger, not a cap. */
    send_batch_size: s.int({ min: 0 }).default(8192),
    /** Cap on items per sent batch; 0 = none. Larger requests are split. */
    send_batch_max_size: s.int({ min: 0 }).default(0),
    /** How long the first item of a batch waits at most; 0 = send each request as it arrives. */
    timeout: s.duration().default(200),
    /** Client metadata keys (case-insensitive) whose values partition batches, e.g. X-Scope-OrgID. */
    metadata_keys: s.list(s.string()).default([]),
    metadata_cardinality_limit: s.int({ min: 0 }).default(1000),
  })
  .refine((c) => {
    if (c.send_batch_max_size > 0 && c.send_batch_max_size < c.send_batch_size) {
      return `send_batch_max_size (${c.send_batch_max_size}) must be greater than or equal to send_batch_size (${c.send_batch_size})`;
    }
    const seen = new Set<string>();
    for (const key of c.metadata_keys) {
      const lower = key.toLowerCase();
      if (seen.has(lower)) return `duplicate entry in metadata_keys: "${lower}" (keys are case-insensitive)`;
      seen.add(lower);
    }
    if (c.metadata_keys.length > 0 && c.metadata_cardinality_limit === 0) {
      return 'metadata_cardinality_limit must be greater than 0 when metadata_keys is set';
    }
    return undefined;
  });

export type BatchProcessorConfig = Infer<typeof batchSchema>;
