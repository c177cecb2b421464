// Rule groups evaluated the way Prometheus's rule manager does: rules in order within a group,
// recording-rule output written back to the store (with staleness markers when a series goes
// away) so later rules see it, alert state inactive → pending → firing → resolved, ALERTS and
// ALERTS_FOR_STATE series, and the resend rules Prometheus applies before Alertmanager.
import type { Alert, AlertSink, AlertState } from '../alert.js';
import { METRIC_NAME, fingerprint, labelsKey, labelsToRecord, normalizeLabels, type Labels } from '../labels.js';
import { evaluate } from '../promql/engine.js';
import { STALE_NAN, type VectorSample } from '../promql/values.js';
import type { SeriesStore } from '../storage/series-store.js';
import { selectorReaches, type SelectorReach } from '../promql/lookback.js';
import { compileTemplate } from './template.js';
import type { AlertingRuleSpec, RecordingRuleSpec, RuleGroupSpec } from './rule-file.js';

/** How long Prometheus keeps announcing a resolved alert, so a lost notification is repaired. */
const RESOLVED_RETENTION_MS = 15 * 60_000;

export interface RuleManagerOptions {
  store: SeriesStore;
  externalLabels: Record<string, string>;
  externalURL: string;
  lookbackDeltaMs: number;
  /** For groups without their own `interval`. */
  defaultIntervalMs: number;
  /** Least time between two sends of one unchanged firing alert (Prometheus's --rules.alert.resend-delay). */
  resendDelayMs?: number;
  sink?: AlertSink;
  /** The samples this evaluation wrote (recording rules, ALERTS), for the processor to pass on downstream. */
  onSamples?: (samples: readonly OutputSample[], timeMs: number) => void;
}

export interface OutputSample {
  labels: Labels;
  value: number;
  /** True for ALERTS/ALERTS_FOR_STATE, which the processor emits only when asked to. */
  alertSeries: boolean;
}

export interface AlertInstance {
  labels: Labels;
  annotations: Record<string, string>;
  state: AlertState;
  value: number;
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
  lastSentAt?: number;
  validUntil?: number;
  keepFiringSince?: number;
}

export interface ActiveAlert {
  alertname: string;
  labels: Labels;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: number;
  value: number;
}

type Health = 'unknown' | 'ok' | 'err';

interface RuleStatus {
  health: Health;
  lastError?: string;
  lastEvaluation?: number;
  evaluationMs: number;
}

abstract class RuleBase<S extends AlertingRuleSpec | RecordingRuleSpec> {
  status: RuleStatus = { health: 'unknown', evaluationMs: 0 };
  /** Series this rule wrote at the previous evaluation, to mark those that vanish as stale. */
  previousSeries = new Map<string, Labels>();
  constructor(readonly spec: S) {}

  /** Identity across reloads: a rule whose every setting is unchanged keeps its state. */
  get identity(): string {
    const { expr: _expr, ...rest } = this.spec;
    return JSON.stringify(rest);
  }
}

class RecordingRule extends RuleBase<RecordingRuleSpec> {
  readonly name = this.spec.record;
}

class AlertingRule extends RuleBase<AlertingRuleSpec> {
  readonly name = this.spec.alert;
  active = new Map<string, AlertInstance>();
  // Named as Prometheus names them, since the name shows in template error messages.
  private readonly labelTemplates = Object.entries(this.spec.labels).map(([k, v]) => [k, compileTemplate(v, `__alert_${this.spec.alert}`)] as const);
  private readonly annotationTemplates = Object.entries(this.spec.annotations).map(([k, v]) => [k, compileTemplate(v, `__alert_${this.spec.alert}`)] as const);

  /** Advances alert state for the query result at `ts` (Prometheus's AlertingRule.Eval). */
  apply(result: readonly VectorSample[], ts: number, limit: number, options: RuleManagerOptions): void {
    const seen = new Map<string, AlertInstance>();
    for (const sample of result) {
      const data = { labels: labelsToRecord(sample.labels), externalLabels: options.externalLabels, externalURL: options.externalURL, value: sample.value };
      const pairs: [string, string][] = sample.labels.filter(([k]) => k !== METRIC_NAME).map(([k, v]) => [k, v]);
      for (const [name, template] of this.labelTemplates) pairs.push([name, template.execute(data)]);
      pairs.push(['alertname', this.name]);
      const labels = normalizeLabels(pairs);
      const key = labelsKey(labels);
      if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      const annotations: Record<string, string> = {};
      for (const [name, template] of this.annotationTemplates) annotations[name] = template.execute(data);
      seen.set(key, { labels, annotations, state: 'pending', value: sample.value, activeAt: ts });
    }
    for (const [key, next] of seen) {
      const current = this.active.get(key);
      if (current && current.state !== 'inactive') {
        current.value = next.value;
        current.annotations = next.annotations;
        current.labels = next.labels;
      } else this.active.set(key, next);
    }
    // The limit counts what is pending or firing after this evaluation, kept-firing alerts included.
    let activePending = 0;
    for (const [key, alert] of this.active) {
      if (!seen.has(key)) {
        if (!this.keepsFiring(alert, ts)) {
          if (alert.state === 'pending' || (alert.resolvedAt !== undefined && ts - alert.resolvedAt > RESOLVED_RETENTION_MS)) {
            this.active.delete(key);
            continue;
          }
          if (alert.state !== 'inactive') {
            alert.state = 'inactive';
            alert.resolvedAt = ts;
          }
          continue;
        }
      } else alert.keepFiringSince = undefined;
      activePending++;
      if (alert.state === 'pending' && ts - alert.activeAt >= this.spec.forMs) {
        alert.state = 'firing';
        alert.firedAt = ts;
      }
    }
    if (limit > 0 && activePending > limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${limit} with ${activePending} alerts`);
    }
  }

  private keepsFiring(alert: AlertInstance, ts: number): boolean {
    if (this.spec.keepFiringForMs <= 0 || alert.state !== 'firing') return false;
    alert.keepFiringSince ??= ts;
    return ts - alert.keepFiringSince < this.spec.keepFiringForMs;
  }

  activeAlerts(): AlertInstance[] {
    return [...this.active.values()].filter((a) => a.state !== 'inactive');
  }

  /** The alerts due to be (re)sent at `ts`, stamped as sent (Prometheus's sendAlerts). */
  due(ts: number, resendDelayMs: number, intervalMs: number): AlertInstance[] {
    const out: AlertInstance[] = [];
    for (const alert of this.active.values()) {
      if (alert.state === 'pending') continue;
      const resolvedSinceSent = alert.resolvedAt !== undefined && (alert.lastSentAt === undefined || alert.resolvedAt > alert.lastSentAt);
      // Prometheus re-sends only once the delay has strictly passed.
      if (!resolvedSinceSent && alert.lastSentAt !== undefined && alert.lastSentAt + resendDelayMs >= ts) continue;
      alert.lastSentAt = ts;
      alert.validUntil = ts + 4 * Math.max(resendDelayMs, intervalMs);
      out.push(alert);
    }
    return out;
  }
}

type Rule = RecordingRule | AlertingRule;

export class RuleGroup {
  readonly name: string;
  readonly file: string;
  readonly intervalMs: number;
  readonly limit: number;
  readonly rules: Rule[];
  lastEvaluation?: number;
  evaluationMs = 0;

  constructor(spec: RuleGroupSpec, defaultIntervalMs: number) {
    this.name = spec.name;
    this.file = spec.file;
    this.intervalMs = spec.intervalMs ?? defaultIntervalMs;
    this.limit = spec.limit;
    this.rules = spec.rules.map((r) => (r.kind === 'recording' ? new RecordingRule(r) : new AlertingRule(r)));
  }

  get key(): string {
    return `${this.file}\u0000${this.name}`;
  }
}

export class RuleManager {
  readonly groups: readonly RuleGroup[];
  private readonly resendDelayMs: number;

  constructor(
    specs: readonly RuleGroupSpec[],
    private readonly options: RuleManagerOptions,
  ) {
    this.groups = specs.map((g) => new RuleGroup(g, options.defaultIntervalMs));
    this.resendDelayMs = options.resendDelayMs ?? 60_000;
  }

  /** Every selector of every rule with how far back it reads, for the store to keep just that. */
  selectors(): SelectorReach[] {
    const out: SelectorReach[] = [];
    for (const g of this.groups) for (const r of g.rules) selectorReaches(r.spec.expr, this.options.lookbackDeltaMs, out);
    return out;
  }

  /** How far back any rule reads: the longest range, offset and lookback. */
  retentionMs(): number {
    return this.selectors().reduce((max, s) => Math.max(max, s.reachMs), this.options.lookbackDeltaMs);
  }

  /**
   * Takes over the state of unchanged rules from the manager this one replaces (config reload);
   * the series of rules that went away or changed are marked stale at `ts`, as Prometheus does.
   */
  inheritState(previous: RuleManager, ts: number): void {
    const left = new Map(previous.groups.map((g) => [g.key, new Map(g.rules.map((r) => [r.identity, r]))]));
    for (const group of this.groups) {
      const before = previous.groups.find((g) => g.key === group.key);
      const rules = left.get(group.key);
      if (!before || !rules) continue;
      group.lastEvaluation = before.lastEvaluation;
      for (const rule of group.rules) {
        const match = rules.get(rule.identity);
        if (!match) continue;
        rules.delete(rule.identity);
        rule.status = match.status;
        rule.previousSeries = match.previousSeries;
        if (rule instanceof AlertingRule && match instanceof AlertingRule) rule.active = match.active;
      }
    }
    const stale: OutputSample[] = [];
    for (const rules of left.values()) {
      for (const rule of rules.values()) {
        for (const labels of rule.previousSeries.values()) {
          this.options.store.append(labels, ts, STALE_NAN);
          stale.push({ labels, value: STALE_NAN, alertSeries: rule instanceof AlertingRule });
        }
      }
    }
    if (stale.length > 0) this.options.onSamples?.(stale, ts);
  }

  /** Evaluates every rule of `group` at `ts` (epoch ms), in order, then sends what is due. */
  evalGroup(group: RuleGroup, ts: number): void {
    const started = performance.now();
    const written: OutputSample[] = [];
    const due: { rule: AlertingRule; alerts: AlertInstance[] }[] = [];
    for (const rule of group.rules) {
      const ruleStarted = performance.now();
      const output = new Map<string, OutputSample>();
      try {
        const result = this.query(rule.spec.expr, ts);
        if (rule instanceof RecordingRule) this.record(rule, result, group.limit, output);
        else {
          rule.apply(result, ts, group.limit, this.options);
          this.alertSeries(rule, output);
        }
        rule.status = { health: 'ok', lastEvaluation: ts, evaluationMs: 0 };
      } catch (err) {
        // As Prometheus: a failed rule writes nothing, marks nothing stale and sends nothing.
        rule.status = { health: 'err', lastError: (err as Error).message, lastEvaluation: ts, evaluationMs: performance.now() - ruleStarted };
        continue;
      }
      this.write(rule, output, ts, written);
      if (rule instanceof AlertingRule) due.push({ rule, alerts: rule.due(ts, this.resendDelayMs, group.intervalMs) });
      rule.status.evaluationMs = performance.now() - ruleStarted;
    }
    group.lastEvaluation = ts;
    group.evaluationMs = performance.now() - started;
    if (written.length > 0) this.options.onSamples?.(written, ts);
    const alerts = due.flatMap(({ rule, alerts }) => alerts.map((a) => this.toAlert(rule, a)));
    if (alerts.length > 0) this.options.sink?.send(alerts);
  }

  activeAlerts(): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const group of this.groups) {
      for (const rule of group.rules) {
        if (!(rule instanceof AlertingRule)) continue;
        for (const a of rule.activeAlerts()) {
          out.push({ alertname: rule.name, labels: a.labels, annotations: a.annotations, state: a.state as 'pending' | 'firing', activeAt: a.activeAt, value: a.value });
        }
      }
    }
    return out;
  }

  private query(expr: RecordingRuleSpec['expr'], ts: number): VectorSample[] {
    const value = evaluate(expr, ts, this.options.store, { lookbackDeltaMs: this.options.lookbackDeltaMs });
    if (value.type === 'vector') return value.samples;
    if (value.type === 'scalar') return [{ labels: [], value: value.value }];
    throw new Error(`rule result is a ${value.type}, not an instant vector or scalar`);
  }

  private record(rule: RecordingRule, result: readonly VectorSample[], limit: number, output: Map<string, OutputSample>): void {
    for (const sample of result) {
      const pairs: [string, string][] = sample.labels.map(([k, v]) => [k, v]);
      pairs.push([METRIC_NAME, rule.name]);
      for (const [k, v] of Object.entries(rule.spec.labels)) pairs.push([k, v]);
      const labels = normalizeLabels(pairs);
      const key = labelsKey(labels);
      if (output.has(key)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      output.set(key, { labels, value: sample.value, alertSeries: false });
    }
    if (limit > 0 && output.size > limit) {
      output.clear();
      throw new Error(`exceeded limit of ${limit} with ${result.length} series`);
    }
  }

  /** ALERTS and ALERTS_FOR_STATE for every pending or firing alert, as Prometheus writes them. */
  private alertSeries(rule: AlertingRule, output: Map<string, OutputSample>): void {
    for (const alert of rule.activeAlerts()) {
      const base = alert.labels.filter(([k]) => k !== METRIC_NAME);
      const alerts = normalizeLabels([...base, [METRIC_NAME, 'ALERTS'], ['alertstate', alert.state]]);
      const forState = normalizeLabels([...base, [METRIC_NAME, 'ALERTS_FOR_STATE']]);
      output.set(labelsKey(alerts), { labels: alerts, value: 1, alertSeries: true });
      output.set(labelsKey(forState), { labels: forState, value: Math.floor(alert.activeAt / 1000), alertSeries: true });
    }
  }

  /** Appends a rule's output at `ts`, and a staleness marker for each series it wrote last time but not now. */
  private write(rule: Rule, output: Map<string, OutputSample>, ts: number, written: OutputSample[]): void {
    for (const sample of output.values()) {
      this.options.store.append(sample.labels, ts, sample.value);
      written.push(sample);
    }
    for (const [key, labels] of rule.previousSeries) {
      if (output.has(key)) continue;
      this.options.store.append(labels, ts, STALE_NAN);
      written.push({ labels, value: STALE_NAN, alertSeries: rule instanceof AlertingRule });
    }
    rule.previousSeries = new Map([...output].map(([key, s]) => [key, s.labels]));
  }

  private toAlert(rule: AlertingRule, a: AlertInstance): Alert {
    const labels = labelsToRecord(a.labels);
    // External labels never override an alert's own, as Prometheus's notifier applies them.
    for (const [k, v] of Object.entries(this.options.externalLabels)) if (!(k in labels) && v !== '') labels[k] = v;
    return {
      labels,
      annotations: a.annotations,
      startsAt: a.firedAt ?? a.activeAt,
      endsAt: a.resolvedAt ?? a.validUntil!,
      resolved: a.resolvedAt !== undefined,
      generatorURL: `${this.options.externalURL.replace(/\/$/, '')}/graph?g0.expr=${encodeURIComponent(rule.spec.exprText)}&g0.tab=1`,
      fingerprint: fingerprint(normalizeLabels(Object.entries(labels))),
    };
  }

  /** Every rule with its state, for `GET /api/v1/rules`. */
  describe(): { group: RuleGroup; rules: { rule: Rule; alerts: AlertInstance[] }[] }[] {
    return this.groups.map((group) => ({ group, rules: group.rules.map((rule) => ({ rule, alerts: rule instanceof AlertingRule ? rule.activeAlerts() : [] })) }));
  }
}

export { AlertingRule, RecordingRule, type Rule };
