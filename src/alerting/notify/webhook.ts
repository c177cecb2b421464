// The `webhook` notifier posts Alertmanager's webhook body, so receivers written for Alertmanager work unchanged.
import type { WebhookNotifierConfig } from './config.js';
import { JsonPoster } from './http.js';
import { rfc3339, type GroupNotification } from './notification.js';
import type { Integration } from './queue.js';

export function webhookPayload(n: GroupNotification, maxAlerts: number): unknown {
  const kept = maxAlerts > 0 ? n.alerts.slice(0, maxAlerts) : n.alerts;
  return {
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - kept.length,
    status: n.status,
    receiver: n.receiver,
    groupLabels: n.groupLabels,
    commonLabels: n.commonLabels,
    commonAnnotations: n.commonAnnotations,
    externalURL: n.externalURL,
    alerts: kept.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: rfc3339(a.startsAt),
      endsAt: rfc3339(a.endsAt),
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
  };
}

export function webhookIntegration(config: WebhookNotifierConfig): Integration<GroupNotification> {
  const poster = new JsonPoster(new URL(config.endpoint), config.headers, config.tls);
  return {
    send: (n, abort) => poster.post(webhookPayload(n, config.max_alerts), abort),
    close: () => poster.close(),
  };
}
