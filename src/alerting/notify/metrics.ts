// The notification layer's own metrics, one label set per processor and notifier.
import type { Telemetry } from '../../telemetry/telemetry.js';

export type DropReason = 'queue_full' | 'shutdown';

export interface NotifierMetrics {
  sent(): void;
  failed(): void;
  dropped(reason: DropReason, notifications?: number): void;
  silenced(alerts: number): void;
  inhibited(alerts: number): void;
  observeQueue(size: () => number): void;
}

export function notifierMetrics(telemetry: Telemetry, processor: string, notifier: string): NotifierMetrics {
  const labels = { processor, notifier };
  const names = ['processor', 'notifier'];
  const sent = telemetry.counter('sluice_alerting_notifications_sent_total', 'Notifications the receiver accepted.', names).labels(labels);
  const failed = telemetry.counter('sluice_alerting_notifications_failed_total', 'Notifications given up on: refused permanently, or retries exhausted.', names).labels(labels);
  const dropped = telemetry.counter('sluice_alerting_notifications_dropped_total', 'Notifications discarded before delivery: the queue was full (oldest dropped) or the shutdown deadline passed.', [...names, 'reason']);
  const silenced = telemetry.counter('sluice_alerting_alerts_silenced', 'Alerts routed to this notifier that an active silence suppressed, counted per evaluation that announced them.', names).labels(labels);
  const inhibited = telemetry.counter('sluice_alerting_alerts_inhibited', 'Alerts routed to this notifier that an inhibit rule suppressed, counted per evaluation that announced them.', names).labels(labels);
  return {
    sent: () => sent.inc(),
    failed: () => failed.inc(),
    dropped: (reason, n = 1) => dropped.inc({ ...labels, reason }, n),
    silenced: (n) => silenced.inc(n),
    inhibited: (n) => inhibited.inc(n),
    observeQueue: (size) => telemetry.callbackGauge('sluice_alerting_notification_queue_size', 'Notifications not yet delivered: queued, being sent or waiting to retry.', labels, size),
  };
}
