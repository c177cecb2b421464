// The alerting processor: every metrics batch is read into the series store and passed on
// unchanged; each rule group is evaluated on its own interval through the scheduler; recording-rule
// output (and ALERTS series, when asked) goes downstream as gauges of its own; alerts go to the
// notification manager, whose queues never hold up the pipeline.
import type { OperatorFunction, SchedulerAction, Subscription } from 'rxjs';
import Long from 'long';
import type { Logger } from 'pino';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import { commonContext, receiverContext, type Envelope, type EnvelopeContext } from '../../pipeline/envelope.js';
import { processorOperator, type ProcessorOutput } from '../../pipeline/processor-helper.js';
import type { KeyValue, Metric, MetricsData } from '../../pdata/types.js';
import type { Counter } from 'prom-client';
import { SeriesStore } from '../../alerting/storage/series-store.js';
import { SeriesIngest } from '../../alerting/ingest.js';
import { RuleManager, type OutputSample, type RuleGroup } from '../../alerting/rules/manager.js';
import { NotificationManager } from '../../alerting/notify/manager.js';
import { handleRulesApi } from '../../alerting/api.js';
import { METRIC_NAME } from '../../alerting/labels.js';
import { isStaleNaN } from '../../codec/prometheus-model.js';
import type { StatusHandler, StatusRequest, StatusResponse } from '../../telemetry/status-routes.js';
import type { AlertingConfig } from './config.js';
import { sameConfig } from '../../config/types.js';

const API_PREFIX = '/api/v1';
/** Alertmanager's silence API too, so amtool can be pointed at sluice. */
const SILENCES_V2_PREFIX = '/api/v2';
/** OTLP DataPointFlags FLAG_NO_RECORDED_VALUE. */
const NO_RECORDED_VALUE = 1;
/** What a reload may change: the rules and how they are evaluated and labelled. */
const RELOADABLE = ['rule_files', 'groups', 'slos', 'ruleGroups', 'evaluation_interval', 'lookback_delta', 'resend_delay', 'external_labels'] as const;

export class AlertingProcessor implements Processor {
  readonly store: SeriesStore;
  readonly notifications: NotificationManager;
  private rules: RuleManager;
  private readonly ingest: SeriesIngest;
  private readonly logger: Logger;
  readonly operator: OperatorFunction<Envelope, Envelope>;
  /** One per subscribed pipeline: recorded series go to each. */
  private readonly outputs = new Set<ProcessorOutput<'metrics'>>();
  /** What every input since the last evaluation had in common, which the recorded series derived from them carry. */
  private inputContext: EnvelopeContext | undefined;
  private readonly timers: Subscription[] = [];
  private readonly refused: Counter<string>;
  private readonly evaluations: Counter<string>;
  private readonly failures: Counter<string>;
  /** One handler per instance, so stopping an instance a reload replaced leaves its successor's API served. */
  private readonly api: StatusHandler = (request) => this.serveApi(request);

  constructor(
    private readonly settings: CreateSettings,
    private config: AlertingConfig,
  ) {
    this.logger = settings.logger;
    const t = settings.telemetry;
    const labels = { processor: settings.id };
    this.notifications = new NotificationManager({ ...config, external_url: config.external_url }, settings);
    this.store = new SeriesStore({ maxSeries: config.max_series, retentionMs: config.lookback_delta });
    this.rules = this.buildRules(config);
    this.ingest = new SeriesIngest(this.store, { addSuffixes: config.add_metric_suffixes, resourceToTelemetry: config.resource_to_telemetry_conversion.enabled, maxSeries: config.max_series });
    t.callbackGauge('sluice_alerting_series', 'Series held in the alerting store (bounded by max_series).', labels, () => this.store.seriesCount);
    t.callbackGauge('sluice_alerting_samples', 'Samples held in the alerting store.', labels, () => this.store.sampleCount);
    t.callbackGauge('sluice_alerting_alerts', 'Pending and firing alerts.', labels, () => this.rules.activeAlerts().length);
    this.refused = t.counter('sluice_alerting_samples_refused_total', 'Samples the alerting store did not take, by reason (out_of_order, series_limit, invalid_value, unreadable).', ['processor', 'reason']);
    this.evaluations = t.counter('sluice_alerting_rule_group_evaluations_total', 'Rule group evaluations.', ['processor', 'group']);
    this.failures = t.counter('sluice_alerting_rule_evaluation_failures_total', 'Rule evaluations that failed (bad query result, duplicate labels, limit).', ['processor', 'group']);
    this.operator = processorOperator(settings, 'metrics', {
      process: ({ data, context }) => {
        this.inputContext = this.inputContext ? commonContext(this.inputContext, context) : context;
        this.read(data);
        return data;
      },
      open: (out) => {
        this.outputs.add(out);
        return () => this.outputs.delete(out);
      },
    });
  }

  async start(): Promise<void> {
    await this.notifications.start();
    for (const group of this.rules.groups) this.schedule(group);
    for (const prefix of [API_PREFIX, SILENCES_V2_PREFIX]) {
      if (!this.settings.telemetry.routes.register(prefix, this.settings.id, this.api)) {
        this.logger.warn({ prefix }, 'another alerting processor already serves the alerting API on the status port; this one is not served there');
      }
    }
  }

  async shutdown(deadline: number): Promise<void> {
    for (const t of this.timers) t.unsubscribe();
    this.timers.length = 0;
    this.settings.telemetry.routes.unregister(this.settings.id, this.api);
    await this.notifications.shutdown(deadline);
  }

  /** The rule engine now in use (tests and the API read its state). */
  get ruleManager(): RuleManager {
    return this.rules;
  }

  /**
   * Swaps in new rules (a SIGHUP re-reads rule files too); rules whose settings did not change keep
   * their alert state. Settings the store and notifiers were built with need a restart instead.
   */
  reload(config: unknown): boolean {
    const next = config as AlertingConfig;
    const fixed = (c: AlertingConfig) => ({ ...c, ...Object.fromEntries(RELOADABLE.map((k) => [k, undefined])) });
    if (!sameConfig(fixed(this.config), fixed(next))) return false;
    const rules = this.buildRules(next);
    rules.inheritState(this.rules, this.settings.scheduler.now());
    for (const t of this.timers) t.unsubscribe();
    this.timers.length = 0;
    this.rules = rules;
    this.config = next;
    for (const group of rules.groups) this.schedule(group);
    return true;
  }

  private buildRules(config: AlertingConfig): RuleManager {
    const rules = new RuleManager(config.ruleGroups, {
      store: this.store,
      externalLabels: config.external_labels,
      externalURL: config.external_url,
      lookbackDeltaMs: config.lookback_delta,
      defaultIntervalMs: config.evaluation_interval,
      resendDelayMs: config.resend_delay,
      sink: this.notifications,
      onSamples: (samples, ts) => this.emit(samples, ts),
    });
    this.store.setSelectors(rules.selectors());
    return rules;
  }

  private schedule(group: RuleGroup): void {
    const processor = this;
    const interval = group.intervalMs;
    this.timers.push(
      this.settings.scheduler.schedule(function (this: SchedulerAction<unknown>) {
        // Rescheduled first: whatever one evaluation runs into, the next one still comes.
        this.schedule(undefined, interval);
        try {
          processor.evaluate(group);
        } catch (err) {
          processor.failures.labels({ processor: processor.settings.id, group: group.name }).inc();
          processor.logger.error({ err, group: group.name }, 'rule group evaluation failed');
        }
      }, interval),
    );
  }

  private evaluate(group: RuleGroup): void {
    const now = this.settings.scheduler.now();
    const labels = { processor: this.settings.id, group: group.name };
    this.rules.evalGroup(group, now);
    this.evaluations.labels(labels).inc();
    for (const rule of group.rules) {
      if (rule.status.health === 'err' && rule.status.lastEvaluation === now) {
        this.failures.labels(labels).inc();
        this.logger.warn({ group: group.name, rule: rule.name, error: rule.status.lastError }, 'rule evaluation failed');
      }
    }
    this.store.gc(now);
    this.ingest.forgetIdle(now, this.rules.retentionMs());
  }

  private read(data: MetricsData): void {
    let result;
    try {
      result = this.ingest.ingest(data, this.settings.scheduler.now());
    } catch (err) {
      // The batch still goes on: only the rules miss it.
      this.refused.labels({ processor: this.settings.id, reason: 'unreadable' }).inc();
      this.logger.error({ err }, 'a metrics batch could not be read into the alerting store; it passes on unchanged');
      return;
    }
    if (result.outOfOrder) this.refused.labels({ processor: this.settings.id, reason: 'out_of_order' }).inc(result.outOfOrder);
    if (result.overLimit) this.refused.labels({ processor: this.settings.id, reason: 'series_limit' }).inc(result.overLimit);
    if (result.invalid) this.refused.labels({ processor: this.settings.id, reason: 'invalid_value' }).inc(result.invalid);
  }

  /** Recording-rule series (and ALERTS when configured) downstream, one gauge per metric name. */
  private emit(samples: readonly OutputSample[], ts: number): void {
    if (this.outputs.size === 0) return;
    const byName = new Map<string, Metric>();
    const time = Long.fromNumber(ts, true).multiply(1_000_000);
    for (const sample of samples) {
      if (sample.alertSeries && !this.config.emit_alert_series) continue;
      const name = sample.labels.find(([k]) => k === METRIC_NAME)?.[1] ?? '';
      let metric = byName.get(name);
      if (!metric) {
        metric = { name, description: '', unit: '', gauge: { dataPoints: [] } };
        byName.set(name, metric);
      }
      const attributes: KeyValue[] = sample.labels.filter(([k]) => k !== METRIC_NAME).map(([key, value]) => ({ key, value: { stringValue: value } }));
      // A series that ended goes out as OTLP's "no recorded value", which the Prometheus exporters turn back into a staleness marker.
      const value = isStaleNaN(sample.value) ? { flags: NO_RECORDED_VALUE } : { asDouble: sample.value };
      metric.gauge!.dataPoints.push({ attributes, timeUnixNano: time, ...value, exemplars: [] });
    }
    if (byName.size === 0) return;
    const context = this.inputContext ?? receiverContext(this.settings.id);
    this.inputContext = undefined;
    for (const out of this.outputs) {
      const data: MetricsData = { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: 'sluice/alerting', attributes: [] }, metrics: [...byName.values()] }] }] };
      out.emit(data, context);
    }
  }

  private serveApi(request: StatusRequest): StatusResponse {
    if (/^\/api\/(v1\/silences|v2\/silences?)(\/|$)/.test(request.path)) {
      return this.notifications.handleSilencesApi(request.method, request.path, request.query, request.body);
    }
    return handleRulesApi(() => [this.rules], request) ?? { status: 404, body: { status: 'error', errorType: 'not_found', error: `no API at ${request.path}` } };
  }
}
