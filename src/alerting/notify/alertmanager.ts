// The `alertmanager` notifier hands alerts over as Prometheus does: every alert it is given, at
// once, in batches, to Alertmanager's v2 API. Alertmanager groups, deduplicates, silences and
// repeats by itself, which is why this notifier has no dispatcher and ignores the group_* settings.
import type { Alert } from '../alert.js';
import type { AlertmanagerNotifierConfig } from './config.js';
import { JsonPoster } from './http.js';
import { rfc3339 } from './notification.js';
import type { Integration } from './queue.js';

/** Prometheus's batch size for Alertmanager requests. */
export const ALERTMANAGER_BATCH = 64;

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** A firing alert's endsAt is its validity (Alertmanager resolves it then unless re-sent); a resolved one's is when it resolved. */
export function toPostableAlert(a: Alert): PostableAlert {
  return { labels: a.labels, annotations: a.annotations, startsAt: rfc3339(a.startsAt), endsAt: rfc3339(a.endsAt), generatorURL: a.generatorURL };
}

export function alertmanagerIntegration(config: AlertmanagerNotifierConfig): Integration<readonly Alert[]> {
  const poster = new JsonPoster(new URL(`${config.endpoint.replace(/\/+$/, '')}/api/v2/alerts`), config.headers, config.tls);
  return {
    send: (alerts, abort) => poster.post(alerts.map(toPostableAlert), abort),
    close: () => poster.close(),
  };
}
