// The awscloudwatchlogs exporter's config: group, stream, connection, retention, tags, raw_log.
import { s, type Infer } from '../../config/schema.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { awsConnectionConfig } from '../aws-client.js';

/** The retention periods CloudWatch accepts, in days (0: never expire). */
const RETENTION_DAYS = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export const cloudWatchLogsSchema = s.object({
  log_group_name: s.string().required(),
  log_stream_name: s.string().required(),
  ...awsConnectionConfig,
  log_retention: s
    .int({ min: 0 })
    .default(0)
    .refine((days) => (RETENTION_DAYS.includes(days) ? undefined : `log_retention must be one of CloudWatch's periods: ${RETENTION_DAYS.join(', ')} (days; 0 = never expire)`)),
  tags: s
    .map(s.string())
    .default({})
    .refine((tags) => (Object.keys(tags).length > 50 ? 'CloudWatch Logs takes at most 50 tags per log group' : undefined)),
  /** The body as the message, instead of the JSON form with attributes and resource. */
  raw_log: s.bool().default(false),
  ...exporterHelperConfig,
});

export type CloudWatchLogsConfig = Infer<typeof cloudWatchLogsSchema>;
