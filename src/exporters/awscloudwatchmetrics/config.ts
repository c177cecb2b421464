// The awscloudwatchmetrics exporter's config: the namespace and the AWS connection.
import { s, type Infer } from '../../config/schema.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { awsConnectionConfig } from '../aws-client.js';

export const cloudWatchSchema = s.object({
  namespace: s.string().required(),
  ...awsConnectionConfig,
  ...exporterHelperConfig,
});

export type CloudWatchMetricsConfig = Infer<typeof cloudWatchSchema>;
