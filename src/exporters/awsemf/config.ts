// The awsemf exporter's config: destination (with placeholders), namespace, dimension rollup and
// metric declarations, as the Collector's.
import { s, type Infer } from '../../config/schema.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { awsConnectionConfig } from '../aws-client.js';

function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return `invalid regular expression "${pattern}": ${(err as Error).message}`;
  }
}

export const emfSchema = s.object({
  log_group_name: s.string().required(),
  log_stream_name: s.string().required(),
  namespace: s.string().default('default'),
  ...awsConnectionConfig,
  dimension_rollup_option: s.enum(['NoDimensionRollup', 'SingleDimensionRollup', 'ZeroAndSingleDimensionRollup']).default('ZeroAndSingleDimensionRollup'),
  metric_declarations: s
    .list(
      s.object({
        dimensions: s.list(s.list(s.string())).default([]),
        metric_name_selectors: s
          .list(s.string())
          .required()
          .refine((list) => list.map((p) => regexProblem(p)).find(Boolean)),
      }),
    )
    .default([]),
  ...exporterHelperConfig,
});

export type EmfExporterConfig = Infer<typeof emfSchema>;
