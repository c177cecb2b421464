// What the rule engine hands to notifiers: one alert as Alertmanager's API models it.
export type AlertState = 'inactive' | 'pending' | 'firing';

export interface Alert {
  /** Series labels, rule labels and external labels, `alertname` included. */
  labels: Record<string, string>;
  /** Templates already expanded. */
  annotations: Record<string, string>;
  /** Epoch ms the alert started firing (Prometheus's activeAt of the firing alert). */
  startsAt: number;
  /**
   * Epoch ms. For a firing alert: until when it is valid if not re-sent (Prometheus's ValidUntil,
   * evaluation time + 4 × max(resend delay, group interval)). For a resolved alert: when it resolved.
   */
  endsAt: number;
  /** True once the rule stopped firing for these labels. */
  resolved: boolean;
  /** Link back to the rule (the processor's external_url plus a /graph?g0.expr= query). */
  generatorURL: string;
  /** Stable identity of the label set (labels.ts `fingerprint`), for dedup and PagerDuty dedup keys. */
  fingerprint: string;
}

/** Receives, after each evaluation of a rule group, every alert that group should announce. */
export interface AlertSink {
  send(alerts: readonly Alert[]): void;
}
