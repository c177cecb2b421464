// SLOs turned into Prometheus rules: error-ratio recordings over the windows of the Google SRE
// workbook's multiwindow, multi-burn-rate alerts, the objective and error budget, the budget left
// over the SLO window, and a page and a ticket alert.
//
// SLI expressions are counter *selectors*, never full expressions: `good`/`error` and `total` are
// each written as a series selector (`http_requests_total{code!~"5.."}`) and the rules use
// `sum(rate(<selector>[<window>]))`. Selectors leave no place to get a window wrong, and sum()
// makes each recording a single series labelled only by `slo`.
//
// Both alerts of an SLO share one name, `<CamelCaseName>ErrorBudgetBurn`, and differ by `severity`
// (critical pages, warning tickets), so Alertmanager can inhibit the ticket while the page fires.
// They carry no `for`: the short window of each pair already stops the alert promptly once the burn
// ends, and waiting would only delay the page.
import { stringify } from 'yaml';
import { Schema, report, s, type Infer } from '../../config/schema.js';
import { formatDuration } from '../promql/format.js';
import { parseExpr } from '../promql/parser.js';
import { promDurationSchema } from './rule-file.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A selector the rules can put inside rate(…[w]). */
const selectorSchema = s.string().refine((text) => {
  try {
    const e = parseExpr(text);
    if (e.kind !== 'selector') return `expected a series selector such as http_requests_total{code!~"5.."}, got an expression (the rules apply sum(rate(...)) themselves)`;
    if (e.offsetMs !== 0) return 'the selector must not have an offset';
    return undefined;
  } catch (err) {
    return `could not parse selector: ${(err as Error).message}`;
  }
});

const sliSchema = s
  .object({
    good: selectorSchema.optional(),
    error: selectorSchema.optional(),
    total: selectorSchema.required(),
  })
  .refine((sli) => ((sli.good === undefined) === (sli.error === undefined) ? 'an sli needs exactly one of "good" and "error", with "total"' : undefined));

const labelsSchema = s.map(s.string()).refine((labels) => {
  const bad = Object.keys(labels).find((k) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || k.startsWith('__'));
  return bad === undefined ? undefined : `invalid label name "${bad}"`;
});

const sloItemSchema = s.object({
  name: s.string().required().refine((n) => (NAME_RE.test(n) ? undefined : `invalid SLO name "${n}": use letters, digits, "_", "." and "-", starting with a letter or digit`)),
  /** Percent of good events, e.g. 99.9. */
  objective: s.number().required().refine((o) => (o > 0 && o < 100 ? undefined : `objective must be a percentage between 0 and 100 (exclusive), got ${o}`)),
  /** The SLO window (compliance period), in milliseconds. */
  window: promDurationSchema.default(30 * 86_400_000).refine((ms) => (ms >= 86_400_000 ? undefined : 'window must be at least 1d')),
  sli: sliSchema.required(),
  /** Added to both alerts. */
  labels: labelsSchema.default({}),
  /** Added to one alert, over `labels` and the generated `severity` (critical, warning). */
  alert_labels: s.object({ page: labelsSchema.default({}), ticket: labelsSchema.default({}) }),
  /** Added to both alerts, over the generated summary and description. */
  annotations: s.map(s.string()).default({}),
});

export type SloConfig = Infer<typeof sloItemSchema>;

export const sloSchema: Schema<SloConfig[]> = new Schema<SloConfig[]>('a list of SLOs', (v, ctx, path) => {
  const list = s.list(sloItemSchema).parse(v, ctx, path);
  if (!list) return undefined;
  const seen = new Set<string>();
  let ok = true;
  list.forEach((slo, i) => {
    if (seen.has(slo.name)) {
      report(ctx, [...path, i, 'name'], `SLO name "${slo.name}" is used twice`);
      ok = false;
    }
    seen.add(slo.name);
  });
  return ok ? list : undefined;
});

export interface RecordingRuleObject {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

export interface AlertingRuleObject {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One group as a rule file writes it. */
export interface RuleGroupObject {
  name: string;
  interval?: string;
  rules: (RecordingRuleObject | AlertingRuleObject)[];
}

const ALERT_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

/** The workbook's table: a long and a short window must both burn faster than `factor`. */
const PAGE = [
  { long: '1h', short: '5m', factor: '14.4' },
  { long: '6h', short: '30m', factor: '6' },
] as const;
const TICKET = [
  { long: '1d', short: '2h', factor: '3' },
  { long: '3d', short: '6h', factor: '1' },
] as const;

/**
 * 1 - objective/100 written exactly in decimal (99.9 gives 0.001, not 0.0009999999999998899),
 * so the thresholds in the rules read as the user's numbers.
 */
export function errorBudgetText(objective: number): string {
  const { units, decimals } = percentUnits(objective);
  return scaledDecimal(10n ** BigInt(decimals) - units, decimals);
}

/** objective/100, exactly. */
export function objectiveRatioText(objective: number): string {
  const { units, decimals } = percentUnits(objective);
  return scaledDecimal(units, decimals);
}

/** A percentage as an integer count of 10^-decimals of the whole. */
function percentUnits(percent: number): { units: bigint; decimals: number } {
  const [int, frac = ''] = decimalText(percent).split('.') as [string, string?];
  return { units: BigInt(int + frac), decimals: frac.length + 2 };
}

function decimalText(n: number): string {
  const t = String(n);
  if (!/e/i.test(t)) return t;
  return n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

function scaledDecimal(value: bigint, decimals: number): string {
  const digits = value.toString().padStart(decimals + 1, '0');
  const int = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

function camelCase(name: string): string {
  return name
    .split(/[-_.]+/)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

const quote = (v: string) => JSON.stringify(v);

function errorRatioExpr(slo: SloConfig, window: string): string {
  const total = `sum(rate(${slo.sli.total}[${window}]))`;
  if (slo.sli.error !== undefined) return `sum(rate(${slo.sli.error}[${window}])) / ${total}`;
  return `1 - (sum(rate(${slo.sli.good!}[${window}])) / ${total})`;
}

/** The rule group for each SLO: recordings first, so the alerts read this evaluation's ratios. */
export function generateSloRuleGroups(slos: readonly SloConfig[]): RuleGroupObject[] {
  return slos.map((slo) => {
    const sloLabel = { slo: slo.name };
    const budget = errorBudgetText(slo.objective);
    const window = formatDuration(slo.window, { upToDays: true });
    const windows = [...new Set<string>([...ALERT_WINDOWS, window])];
    const ratio = (w: string) => `slo:sli_error:ratio_rate${w}{slo=${quote(slo.name)}}`;
    // The SLO window (30d by default) averages the recorded 5m ratio, as Sloth does, rather than
    // reading raw counters that far back: the store then keeps a month of one series per SLO,
    // not of every series the SLI selects.
    const rules: (RecordingRuleObject | AlertingRuleObject)[] = windows.map((w) => ({
      record: `slo:sli_error:ratio_rate${w}`,
      expr: (ALERT_WINDOWS as readonly string[]).includes(w) ? errorRatioExpr(slo, w) : `avg_over_time(${ratio('5m')}[${w}])`,
      labels: { ...sloLabel },
    }));
    rules.push(
      { record: 'slo:objective:ratio', expr: `vector(${objectiveRatioText(slo.objective)})`, labels: { ...sloLabel } },
      { record: 'slo:error_budget:ratio', expr: `vector(${budget})`, labels: { ...sloLabel } },
      { record: 'slo:error_budget_remaining:ratio', expr: `1 - (${ratio(window)} / ${budget})`, labels: { ...sloLabel } },
    );
    const burning = (pairs: readonly { long: string; short: string; factor: string }[]) =>
      pairs.map((p) => `(${ratio(p.long)} > (${p.factor} * ${budget}) and ${ratio(p.short)} > (${p.factor} * ${budget}))`).join(' or ');
    const alertName = `${camelCase(slo.name)}ErrorBudgetBurn`;
    const annotations = (kind: 'page' | 'ticket') => {
      const pairs = kind === 'page' ? PAGE : TICKET;
      const rates = pairs.map((p) => `${p.factor}x over ${p.long} and ${p.short}`).join(', or ');
      return {
        summary: `SLO ${slo.name} is burning its error budget too fast`,
        description: `SLO ${slo.name} (objective ${decimalText(slo.objective)}% over ${window}) is spending its ${budget} error budget at least ${rates}; the error ratio over the long window is {{ $value | humanizePercentage }}.`,
        ...slo.annotations,
      };
    };
    rules.push(
      {
        alert: alertName,
        expr: burning(PAGE),
        labels: { ...slo.labels, severity: 'critical', ...slo.alert_labels.page, ...sloLabel },
        annotations: annotations('page'),
      },
      {
        alert: alertName,
        expr: burning(TICKET),
        labels: { ...slo.labels, severity: 'warning', ...slo.alert_labels.ticket, ...sloLabel },
        annotations: annotations('ticket'),
      },
    );
    return { name: `slo:${slo.name}`, rules };
  });
}

/** The groups as a Prometheus rule file, for `sluice validate --print-rules` and promtool. */
export function sloRuleGroupsToYaml(groups: readonly RuleGroupObject[]): string {
  return stringify({ groups }, { lineWidth: 0 });
}
