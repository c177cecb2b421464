// Alertmanager's aggregation groups for one notifier: alerts grouped by the `group_by` values; a
// new group waits `group_wait`, then the group is flushed every `group_interval`, and each flush
// notifies only when the set of firing/resolved fingerprints differs from the last notification
// the receiver accepted, or when `repeat_interval` has passed since it.
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Alert } from '../alert.js';
import { GROUP_BY_ALL } from './config.js';
import { formatLabels, type GroupNotification, type NotifiedAlert } from './notification.js';

export interface GroupingSettings {
  group_by: readonly string[];
  group_wait: number;
  group_interval: number;
  repeat_interval: number;
  send_resolved: boolean;
}

export interface DispatcherOptions {
  receiver: string;
  externalURL: string;
  settings: GroupingSettings;
  scheduler: SchedulerLike;
  /** Asked again at each flush, so a silence created after an alert was grouped still holds it back. */
  isMuted(alert: Alert): boolean;
  /** Queues the notification; `settled` reports whether the receiver accepted it. */
  notify(notification: GroupNotification, settled: (delivered: boolean) => void): void;
}

interface LastNotification {
  at: number;
  firing: ReadonlySet<string>;
  resolved: ReadonlySet<string>;
}

interface AlertGroup {
  key: string;
  labels: Record<string, string>;
  /** By fingerprint; replaced on every update, so identity tells whether an alert changed since a flush. */
  alerts: Map<string, Alert>;
  timer: Subscription;
  /** A notification of this group is queued or being sent: flushing again would only duplicate it. */
  inFlight: boolean;
  last?: LastNotification;
}

export class Dispatcher {
  private readonly groups = new Map<string, AlertGroup>();

  constructor(private readonly options: DispatcherOptions) {}

  insert(alert: Alert): void {
    const labels = this.groupLabels(alert.labels);
    const key = `${this.options.receiver}:${formatLabels(labels)}`;
    let group = this.groups.get(key);
    if (!group) {
      const { scheduler, settings } = this.options;
      // An alert that has been firing for longer than group_wait (say, across a restart) is not held back again.
      const wait = alert.startsAt + settings.group_wait <= scheduler.now() ? 0 : settings.group_wait;
      const created: AlertGroup = { key, labels, alerts: new Map(), inFlight: false, timer: scheduler.schedule(() => this.tick(created), wait) };
      group = created;
      this.groups.set(key, group);
    }
    group.alerts.set(alert.fingerprint, alert);
  }

  /** Flushes every group now (on shutdown), with the usual dedup. */
  flushAll(): void {
    for (const group of [...this.groups.values()]) if (!group.inFlight) this.flush(group);
  }

  stop(): void {
    for (const group of this.groups.values()) group.timer.unsubscribe();
    this.groups.clear();
  }

  private groupLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
    const by = this.options.settings.group_by;
    if (by.length === 1 && by[0] === GROUP_BY_ALL) return { ...labels };
    const out: Record<string, string> = {};
    for (const name of by) if (labels[name]) out[name] = labels[name];
    return out;
  }

  private tick(group: AlertGroup): void {
    if (this.groups.get(group.key) !== group) return;
    group.timer = this.options.scheduler.schedule(() => this.tick(group), this.options.settings.group_interval);
    if (!group.inFlight) this.flush(group);
  }

  private flush(group: AlertGroup): void {
    const { scheduler, settings } = this.options;
    const now = scheduler.now();
    const snapshot = [...group.alerts.values()];
    // A firing alert that was not refreshed before its endsAt is over, as Alertmanager treats it.
    const isResolved = (a: Alert) => a.resolved || a.endsAt <= now;
    const visible = snapshot.filter((a) => !this.options.isMuted(a));
    const firing = new Set(visible.filter((a) => !isResolved(a)).map((a) => a.fingerprint));
    const resolved = new Set(visible.filter(isResolved).map((a) => a.fingerprint));
    // Resolved alerts leave the group once a flush has dealt with them, unless updated meanwhile.
    const settle = () => {
      for (const a of snapshot) if (isResolved(a) && group.alerts.get(a.fingerprint) === a) group.alerts.delete(a.fingerprint);
      if (group.alerts.size === 0 && this.groups.get(group.key) === group) {
        group.timer.unsubscribe();
        this.groups.delete(group.key);
      }
    };
    if (!this.needsUpdate(group.last, firing, resolved, now)) {
      settle();
      return;
    }
    const shown = visible.filter((a) => settings.send_resolved || !isResolved(a));
    const record = () => {
      group.last = { at: now, firing, resolved };
      settle();
    };
    // With send_resolved off an all-resolved flush is still recorded, so the next firing is new.
    if (shown.length === 0) {
      record();
      return;
    }
    group.inFlight = true;
    this.options.notify(this.notification(group, shown, isResolved), (delivered) => {
      group.inFlight = false;
      if (delivered) record();
    });
  }

  private needsUpdate(last: LastNotification | undefined, firing: ReadonlySet<string>, resolved: ReadonlySet<string>, now: number): boolean {
    // A group the receiver never heard of is news only if something fires in it.
    if (!last) return firing.size > 0;
    if (![...firing].every((f) => last.firing.has(f))) return true;
    // Everything the receiver last saw firing has stopped.
    if (firing.size === 0) return last.firing.size > 0;
    if (this.options.settings.send_resolved && ![...resolved].every((r) => last.resolved.has(r))) return true;
    return last.at + this.options.settings.repeat_interval <= now;
  }

  private notification(group: AlertGroup, alerts: Alert[], isResolved: (a: Alert) => boolean): GroupNotification {
    const sorted = [...alerts].sort((a, b) => compare(formatLabels(a.labels), formatLabels(b.labels)));
    const notified: NotifiedAlert[] = sorted.map((a) => ({
      status: isResolved(a) ? 'resolved' : 'firing',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    }));
    return {
      receiver: this.options.receiver,
      groupKey: group.key,
      status: notified.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      groupLabels: group.labels,
      commonLabels: common(notified.map((a) => a.labels)),
      commonAnnotations: common(notified.map((a) => a.annotations)),
      externalURL: this.options.externalURL,
      alerts: notified,
    };
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The pairs every map has, with the same value. */
function common(maps: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const [first, ...rest] = maps;
  const out: Record<string, string> = {};
  if (!first) return out;
  for (const [k, v] of Object.entries(first)) if (rest.every((m) => m[k] === v)) out[k] = v;
  return out;
}
