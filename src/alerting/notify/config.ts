// The notification settings the alerting processor spreads into its own config: notifiers keyed
// `type[/name]` like components, Alertmanager-style inhibit rules, and where silences are kept.
import { describe, errorCount, report, reportAtKey, s, Schema, type Infer, type ValidationContext, type Path } from '../../config/schema.js';
import { exporterHelperConfig } from '../../pipeline/exporter-helper.js';
import { clientTlsSchema } from '../../exporters/client-tls.js';
import { anchoredRegExp, parseMatcher, type Matcher } from './matchers.js';
import { compileTemplate } from './notification.js';

/** Means "group by every label": each distinct label set is its own group. */
export const GROUP_BY_ALL = '...';

const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];

const regex = new Schema<string>('a regular expression', (v, ctx, path) => {
  if (typeof v !== 'string') return fail(ctx, path, `expected a regular expression, got ${describe(v)}`);
  try {
    anchoredRegExp(v);
    return v;
  } catch (err) {
    return fail(ctx, path, `invalid regular expression "${v}": ${(err as Error).message}`);
  }
});

const matcher = new Schema<Matcher>('a matcher such as severity="critical"', (v, ctx, path) => {
  if (typeof v !== 'string') return fail(ctx, path, `expected a matcher such as severity="critical", got ${describe(v)}`);
  try {
    return parseMatcher(v);
  } catch (err) {
    return fail(ctx, path, `invalid matcher ${JSON.stringify(v)}: ${(err as Error).message}`);
  }
});

const template = new Schema<string>('a template such as "{{ .Status }}: {{ .CommonLabels.alertname }}"', (v, ctx, path) => {
  const text = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
  if (typeof text !== 'string') return fail(ctx, path, `expected a template string, got ${describe(v)}`);
  try {
    compileTemplate(text);
    return text;
  } catch (err) {
    return fail(ctx, path, (err as Error).message);
  }
});

/** Parsed here as the integrations will parse it; a secret URL (Slack's) is never echoed back. */
const httpUrl = (secret = false) =>
  s.string().refine((v) => {
    let ok = false;
    try {
      const url = new URL(v);
      ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      ok = false;
    }
    return ok ? undefined : `expected an http:// or https:// URL${secret ? ' (the value is a secret, so it is not shown)' : `, got "${v}"`}`;
  });
const positive = (what: string) => (ms: number) => (ms > 0 ? undefined : `${what} must be greater than 0`);

function fail(ctx: ValidationContext, path: Path, message: string): undefined {
  report(ctx, path, message);
  return undefined;
}

/** The settings every notifier has: routing, grouping (not for `alertmanager`) and delivery. */
const commonFields = {
  /** Labels that must have exactly these values. */
  match: s.map(s.string()).default({}),
  /** Labels whose values must match these regexes in full. */
  match_re: s.map(regex).default({}),
  /** Empty (the default, as in Alertmanager) puts every alert into one group. */
  group_by: s
    .list(s.string())
    .default([])
    .refine((v) => (v.includes(GROUP_BY_ALL) && v.length > 1 ? `"${GROUP_BY_ALL}" groups by all labels and cannot be combined with label names` : undefined)),
  group_wait: s.duration().default(30_000),
  group_interval: s.duration().default(300_000).refine(positive('group_interval')),
  repeat_interval: s.duration().default(4 * 3_600_000).refine(positive('repeat_interval')),
  send_resolved: s.bool().default(true),
  /** Per attempt. */
  timeout: s.duration().default(10_000),
  /** In notifications (requests); when full the oldest is dropped. */
  queue_size: s.int({ min: 1 }).default(1000),
  retry_on_failure: exporterHelperConfig.retry_on_failure,
};

const GROUPING_KEYS = ['group_by', 'group_wait', 'group_interval', 'repeat_interval'] as const;

const alertmanagerSchema = s.object({
  ...commonFields,
  /** Base URL; alerts go to `<endpoint>/api/v2/alerts`. */
  endpoint: httpUrl().required(),
  headers: s.map(s.string()).default({}),
  tls: clientTlsSchema,
});

const webhookSchema = s.object({
  ...commonFields,
  endpoint: httpUrl().required(),
  headers: s.map(s.string()).default({}),
  /** 0 sends every alert of the group; otherwise the rest is counted in `truncatedAlerts`. */
  max_alerts: s.int({ min: 0 }).default(0),
  tls: clientTlsSchema,
});

const slackSchema = s.object({
  ...commonFields,
  /** Secret: the URL is the credential. */
  webhook_url: httpUrl(true).required(),
  channel: s.string().optional(),
  username: s.string().optional(),
  title: template.optional(),
  text: template.optional(),
  tls: clientTlsSchema,
});

const pagerdutySchema = s.object({
  ...commonFields,
  /** Secret: the Events API v2 integration key. */
  routing_key: s.string().required().refine((v) => (v.trim() === '' ? 'routing_key must not be empty' : undefined)),
  endpoint: httpUrl().default('https://events.pagerduty.com/v2/enqueue'),
  /** Maps values of the alerts' `severity` label to PagerDuty severities; the four PagerDuty names map to themselves. */
  severity: s.map(s.enum(PAGERDUTY_SEVERITIES)).default({}),
  tls: clientTlsSchema,
});

const emailSchema = s.object({
  ...commonFields,
  /** One address or several separated by commas. */
  to: s.string().required(),
  from: s.string().required(),
  /** `host:port`; port 465 speaks TLS from the start, others may upgrade with STARTTLS. */
  smarthost: s
    .string()
    .required()
    .refine((v) => (/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(v) ? undefined : `expected host:port, got "${v}"`)),
  auth_username: s.string().optional(),
  /** Secret. */
  auth_password: s.string().optional(),
  /** As in Alertmanager: refuse to send unless the server offers STARTTLS; false sends in plain text. */
  require_tls: s.bool().default(true),
  subject: template.optional(),
});

export type AlertmanagerNotifierConfig = Infer<typeof alertmanagerSchema> & { type: 'alertmanager' };
export type WebhookNotifierConfig = Infer<typeof webhookSchema> & { type: 'webhook' };
export type SlackNotifierConfig = Infer<typeof slackSchema> & { type: 'slack' };
export type PagerDutyNotifierConfig = Infer<typeof pagerdutySchema> & { type: 'pagerduty' };
export type EmailNotifierConfig = Infer<typeof emailSchema> & { type: 'email' };
export type NotifierConfig = AlertmanagerNotifierConfig | WebhookNotifierConfig | SlackNotifierConfig | PagerDutyNotifierConfig | EmailNotifierConfig;
export type NotifierType = NotifierConfig['type'];

const NOTIFIER_SCHEMAS: Record<NotifierType, Schema<object>> = {
  alertmanager: alertmanagerSchema,
  webhook: webhookSchema,
  slack: slackSchema,
  pagerduty: pagerdutySchema,
  email: emailSchema,
};

const notifiersSchema = new Schema<Record<string, NotifierConfig>>('a map of notifiers keyed by type[/name]', (v, ctx, path) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(ctx, path, `expected a map of notifiers keyed by type[/name], got ${describe(v)}`);
  const before = errorCount(ctx);
  const out: Record<string, NotifierConfig> = {};
  for (const [id, raw] of Object.entries(v as Record<string, unknown>)) {
    const at = [...path, id];
    const slash = id.indexOf('/');
    const type = slash < 0 ? id : id.slice(0, slash);
    if (slash >= 0 && slash === id.length - 1) {
      reportAtKey(ctx, at, `notifier id "${id}" has an empty name after "/"`);
      continue;
    }
    const schema = NOTIFIER_SCHEMAS[type as NotifierType] as Schema<object> | undefined;
    if (!schema) {
      reportAtKey(ctx, at, `unknown notifier type "${type}" (expected one of: ${Object.keys(NOTIFIER_SCHEMAS).join(', ')})`);
      continue;
    }
    const parsed = schema.parse(raw, ctx, at);
    if (!parsed) continue;
    out[id] = { ...parsed, type } as NotifierConfig;
    const ignored = type === 'alertmanager' && raw !== null && typeof raw === 'object' ? GROUPING_KEYS.filter((k) => k in raw) : [];
    if (ignored.length > 0) {
      reportAtKey(ctx, at, `${ignored.join(', ')} ${ignored.length === 1 ? 'has' : 'have'} no effect on the alertmanager notifier: Alertmanager groups alerts by its own routes`, 'warning');
    }
  }
  return errorCount(ctx) === before ? out : undefined;
});

const inhibitRuleSchema = s
  .object({
    source_matchers: s.list(matcher).default([]),
    target_matchers: s.list(matcher).default([]),
    /** Labels that must have the same value in the source and the target alert. */
    equal: s.list(s.string()).default([]),
  })
  .refine((r) => (r.source_matchers.length === 0 || r.target_matchers.length === 0 ? 'an inhibit rule needs at least one source matcher and one target matcher' : undefined));

/** Spread into the alerting processor's `s.object({...})`. */
export const notificationFields = {
  notifiers: notifiersSchema.default({}),
  inhibit_rules: s.list(inhibitRuleSchema).default([]),
  /** A directory; when set, silences are kept in a file there and survive restarts. */
  storage: s.string().optional(),
  /** Pending and active silences at most (Alertmanager's --silences.max-silences); as many expired ones are kept besides. */
  max_silences: s.int({ min: 1 }).default(1000),
  /** Of one silence as JSON, matchers, comment and createdBy included (Alertmanager's --silences.max-silence-size-bytes). */
  max_silence_size_bytes: s.int({ min: 1 }).default(16_384),
};

const notificationSchema = s.object(notificationFields);

export type InhibitRuleConfig = Infer<typeof inhibitRuleSchema>;

/**
 * What the manager needs. `external_url` is the processor's own setting (it is not one of the
 * fields above): when the processor passes its whole config, notifications link back to it.
 */
export type NotificationConfig = Infer<typeof notificationSchema> & { external_url?: string };
