// The `pagerduty` notifier: one Events API v2 event per notification, triggering or resolving
// the incident of the group. The routing key is the credential and never appears in logs.
import { createHash } from 'node:crypto';
import type { PagerDutyNotifierConfig, PagerDutySeverity } from './config.js';
import { JsonPoster } from './http.js';
import { alertLine, defaultTitle, worstSeverity, type GroupNotification } from './notification.js';
import type { Integration } from './queue.js';

/** The Events API refuses longer summaries. */
const MAX_SUMMARY = 1024;
const PAGERDUTY_NAMES: ReadonlySet<string> = new Set(['critical', 'error', 'warning', 'info']);

/** Stable for a group across notifications and restarts, so trigger and resolve meet in one incident. */
export function dedupKey(n: GroupNotification): string {
  return createHash('sha256').update(`${n.receiver}\n${n.groupKey}`).digest('hex');
}

export function pagerdutySeverity(n: GroupNotification, mapping: Readonly<Record<string, PagerDutySeverity>>): PagerDutySeverity {
  const label = worstSeverity(n);
  if (label === undefined) return 'error';
  return mapping[label] ?? (PAGERDUTY_NAMES.has(label) ? (label as PagerDutySeverity) : 'error');
}

export function pagerdutyEvent(n: GroupNotification, config: PagerDutyNotifierConfig): unknown {
  const summary = defaultTitle(n);
  const list = (status: string) => n.alerts.filter((a) => a.status === status).map((a) => ({ summary: alertLine(a), labels: a.labels }));
  return {
    routing_key: config.routing_key,
    event_action: n.status === 'firing' ? 'trigger' : 'resolve',
    dedup_key: dedupKey(n),
    payload: {
      summary: summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY - 1)}…` : summary,
      source: n.commonLabels.instance ?? n.commonLabels.job ?? n.receiver,
      severity: pagerdutySeverity(n, config.severity),
      custom_details: { firing: list('firing'), resolved: list('resolved'), num_firing: list('firing').length, num_resolved: list('resolved').length },
    },
    client: 'sluice',
    ...(n.externalURL ? { client_url: n.externalURL } : {}),
  };
}

export function pagerdutyIntegration(config: PagerDutyNotifierConfig): Integration<GroupNotification> {
  const poster = new JsonPoster(new URL(config.endpoint), {}, config.tls);
  return {
    send: (n, abort) => poster.post(pagerdutyEvent(n, config), abort),
    close: () => poster.close(),
  };
}
