// The notification manager: the rule engine's AlertSink. It drops silenced and inhibited alerts,
// routes the rest to each notifier whose match/match_re accepts them, and leaves delivery to
// per-notifier queues, so send() stays synchronous and cheap however slow the receivers are.
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { Alert, AlertSink } from '../alert.js';
import { ALERTMANAGER_BATCH, alertmanagerIntegration } from './alertmanager.js';
import { handleSilencesApi, type ApiReply } from './api.js';
import type { NotificationConfig, NotifierConfig } from './config.js';
import { Dispatcher } from './dispatcher.js';
import { emailIntegration } from './email.js';
import { Inhibitor } from './inhibit.js';
import { makeMatcher, matchesAll, type Matcher } from './matchers.js';
import { notifierMetrics, type NotifierMetrics } from './metrics.js';
import type { GroupNotification } from './notification.js';
import { pagerdutyIntegration } from './pagerduty.js';
import { NotificationQueue, type Integration } from './queue.js';
import { SilenceStore } from './silences.js';
import { slackIntegration } from './slack.js';
import { webhookIntegration } from './webhook.js';

export interface NotificationSettings {
  /** The processor id, a label on every metric. */
  id: string;
  logger: Logger;
  telemetry: Telemetry;
  scheduler: SchedulerLike;
}

/** One configured notifier: which alerts it takes, and how it hands them to its queue. */
interface Notifier {
  readonly id: string;
  readonly route: readonly Matcher[];
  readonly metrics: NotifierMetrics;
  /**
   * Takes this send()'s alerts for the notifier (already routed). Grouping notifiers get muted
   * alerts too and hold them back at each flush, so they still learn when a muted alert resolves;
   * `alertmanager` gets only what is not muted (it keeps no state of its own here).
   */
  accept(alerts: readonly Alert[], muted: ReadonlySet<Alert>): void;
  shutdown(deadline: number): Promise<void>;
}

export class NotificationManager implements AlertSink {
  readonly silences: SilenceStore;
  private readonly notifiers: Notifier[];
  private readonly inhibitor: Inhibitor;
  private readonly logger: Logger;
  private readonly now: () => number;
  private stopped = false;

  constructor(config: NotificationConfig, settings: NotificationSettings) {
    const { scheduler } = settings;
    this.logger = settings.logger;
    this.now = () => scheduler.now();
    const file = config.storage ? SilenceStore.fileIn(config.storage, settings.id) : undefined;
    const writeFailures = settings.telemetry
      .counter('sluice_alerting_silences_write_failures_total', 'Writes of the silences file under storage that failed; the silences stay in memory and the next change or the shutdown writes them again.', ['processor'])
      .labels({ processor: settings.id });
    this.silences = new SilenceStore(this.now, {
      file,
      limits: { maxSilences: config.max_silences, maxSilenceSizeBytes: config.max_silence_size_bytes },
      onWriteError: (err) => {
        writeFailures.inc();
        this.logger.error({ err, file }, 'could not write the silences file; silences are kept in memory and written again on the next change or at shutdown');
      },
    });
    this.inhibitor = new Inhibitor(config.inhibit_rules, this.now);
    const isMuted = (a: Alert) => this.silences.isSilenced(a.labels) || this.inhibitor.isInhibited(a.labels, a.fingerprint);
    this.notifiers = Object.entries(config.notifiers).map(([id, n]) => createNotifier(id, n, settings, config.external_url ?? '', isMuted));
  }

  /** Loads the silences kept under `storage`. */
  async start(): Promise<void> {
    await this.silences.load();
    this.logger.debug({ notifiers: this.notifiers.map((n) => n.id), silences: this.silences.list().length }, 'Notifications started');
  }

  send(alerts: readonly Alert[]): void {
    if (this.stopped || this.notifiers.length === 0) return;
    this.inhibitor.observe(alerts);
    const routed = new Map<Notifier, Alert[]>();
    const muted = new Set<Alert>();
    for (const alert of alerts) {
      const targets = this.notifiers.filter((n) => matchesAll(n.route, alert.labels));
      if (targets.length === 0) continue;
      // A resolve always goes through: dropping it would leave the receiver showing the alert firing.
      if (!alert.resolved && this.silences.isSilenced(alert.labels)) {
        for (const t of targets) t.metrics.silenced(1);
        muted.add(alert);
      } else if (!alert.resolved && this.inhibitor.isInhibited(alert.labels, alert.fingerprint)) {
        for (const t of targets) t.metrics.inhibited(1);
        muted.add(alert);
      }
      for (const t of targets) {
        const list = routed.get(t);
        if (list) list.push(alert);
        else routed.set(t, [alert]);
      }
    }
    for (const [notifier, list] of routed) notifier.accept(list, muted);
  }

  /**
   * Notifies what grouping still holds, sends until `deadline` (epoch ms), counts what is dropped,
   * and persists silences; a failed write is logged and counted, not thrown, so the rest of the
   * shutdown goes on.
   */
  async shutdown(deadline: number): Promise<void> {
    this.stopped = true;
    await Promise.all(this.notifiers.map((n) => n.shutdown(deadline)));
    await this.silences.save();
  }

  handleSilencesApi(method: string, path: string, query: URLSearchParams, body: unknown): ApiReply {
    return handleSilencesApi(this.silences, this.now, method, path, query, body);
  }
}

function routeOf(n: NotifierConfig): Matcher[] {
  return [...Object.entries(n.match).map(([name, value]) => makeMatcher(name, '=', value)), ...Object.entries(n.match_re).map(([name, re]) => makeMatcher(name, '=~', re))];
}

function createNotifier(id: string, config: NotifierConfig, settings: NotificationSettings, externalURL: string, isMuted: (a: Alert) => boolean): Notifier {
  const metrics = notifierMetrics(settings.telemetry, settings.id, id);
  const logger = settings.logger.child({ notifier: id });
  const queueOf = <T>(integration: Integration<T>) => new NotificationQueue<T>(config, integration, settings.scheduler, logger, metrics);
  const route = routeOf(config);
  if (config.type === 'alertmanager') {
    const queue = queueOf(alertmanagerIntegration(config));
    return {
      id,
      route,
      metrics,
      accept(alerts, muted) {
        const sent = alerts.filter((a) => !muted.has(a) && (config.send_resolved || !a.resolved));
        for (let i = 0; i < sent.length; i += ALERTMANAGER_BATCH) queue.push({ value: sent.slice(i, i + ALERTMANAGER_BATCH) });
      },
      shutdown: (deadline) => queue.shutdown(deadline),
    };
  }
  const queue = queueOf(groupIntegration(config));
  const dispatcher = new Dispatcher({
    receiver: id,
    externalURL,
    settings: config,
    scheduler: settings.scheduler,
    isMuted,
    notify: (notification, settled) => queue.push({ value: notification, settled }),
  });
  return {
    id,
    route,
    metrics,
    accept(alerts) {
      for (const a of alerts) dispatcher.insert(a);
    },
    async shutdown(deadline) {
      // Groups still inside group_wait or group_interval would otherwise never be told.
      dispatcher.flushAll();
      dispatcher.stop();
      await queue.shutdown(deadline);
    },
  };
}

function groupIntegration(config: Exclude<NotifierConfig, { type: 'alertmanager' }>): Integration<GroupNotification> {
  switch (config.type) {
    case 'webhook':
      return webhookIntegration(config);
    case 'slack':
      return slackIntegration(config);
    case 'pagerduty':
      return pagerdutyIntegration(config);
    case 'email':
      return emailIntegration(config);
  }
}
