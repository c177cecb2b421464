// The alerting processor's configuration: schema, defaults and the type the processor is built from.
import { Schema, report, s, type Infer, type Path, type ValidationContext } from '../../config/schema.js';
import { configDir, loadRuleFiles, promDurationSchema, ruleGroupsSchema, type RuleGroupSpec } from '../../alerting/rules/rule-file.js';
import { notificationFields } from '../../alerting/notify/config.js';
import { generateSloRuleGroups, sloSchema } from '../../alerting/rules/slo.js';

const INLINE = '<inline>';
const SLO_FILE = '<slos>';

/** Rule files by path or glob, read at validation so their mistakes are reported with the config's. */
const ruleFilesSchema = new Schema<RuleGroupSpec[]>('a list of rule file paths or globs', (v, ctx, path) => {
  const patterns = s.list(s.string()).parse(v, ctx, path);
  if (!patterns) return undefined;
  const { groups, issues } = loadRuleFiles(patterns, configDir(ctx.locate?.(path)?.file));
  for (const issue of issues) {
    const where = issue.line !== undefined ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
    report(ctx, path, `${where}: ${issue.message}`);
  }
  return issues.length ? undefined : groups;
});

const fields = s.object({
  /** For groups without an `interval` (Prometheus's global.evaluation_interval). */
  evaluation_interval: promDurationSchema.default(60_000).refine((ms) => (ms > 0 ? undefined : 'evaluation_interval must be greater than 0')),
  /** How far back an instant selector looks for a sample (Prometheus's --query.lookback-delta). */
  lookback_delta: promDurationSchema.default(300_000),
  /** Least time between re-sends of an unchanged firing alert (--rules.alert.resend-delay). */
  resend_delay: promDurationSchema.default(60_000),
  external_labels: s.map(s.string()).default({}),
  /** Base of generatorURL and of $externalURL in templates. */
  external_url: s.string().default('http://localhost:8888'),
  rule_files: ruleFilesSchema.default([]),
  groups: ruleGroupsSchema(INLINE).default([]),
  slos: sloSchema.default([]),
  /** Series held for evaluation; samples of further series are refused and counted. */
  max_series: s.int({ min: 1 }).default(100_000),
  /** ALERTS and ALERTS_FOR_STATE go downstream with the recording-rule series. */
  emit_alert_series: s.bool().default(false),
  add_metric_suffixes: s.bool().default(true),
  resource_to_telemetry_conversion: s.object({ enabled: s.bool().default(false) }),
  ...notificationFields,
});

type AlertingFields = Infer<typeof fields>;

export interface AlertingConfig extends AlertingFields {
  /** Every group to evaluate: rule files, then inline groups, then those generated from `slos`. */
  ruleGroups: RuleGroupSpec[];
}

function withRuleGroups(v: unknown, ctx: ValidationContext, path: Path): AlertingConfig | undefined {
  const config = fields.parse(v, ctx, path);
  if (!config) return undefined;
  const generated = ruleGroupsSchema(SLO_FILE).parse(generateSloRuleGroups(config.slos), ctx, [...path, 'slos']);
  if (!generated) return undefined;
  const ruleGroups = [...config.rule_files, ...config.groups, ...generated];
  const seen = new Set<string>();
  for (const g of ruleGroups) {
    const key = `${g.file}\u0000${g.name}`;
    if (seen.has(key)) {
      report(ctx, path, `rule group "${g.name}" is defined twice in ${g.file}`);
      return undefined;
    }
    seen.add(key);
  }
  return { ...config, ruleGroups };
}

// An absent section is one with every default, as for any `s.object`.
export const alertingSchema = new Schema<AlertingConfig>(fields.expected, withRuleGroups, (ctx, path) => withRuleGroups({}, ctx, path));
