// What a grouped notification carries, in Alertmanager's terms, and the small template language
// the Slack and e-mail notifiers accept for their titles, texts and subjects.
export type AlertStatus = 'firing' | 'resolved';

export interface NotifiedAlert {
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt: number;
  generatorURL: string;
  fingerprint: string;
}

/** One flush of one alert group to one notifier (Alertmanager's template data). */
export interface GroupNotification {
  /** The notifier id. */
  receiver: string;
  groupKey: string;
  /** Firing while any alert in it fires. */
  status: AlertStatus;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: NotifiedAlert[];
}

export function firingCount(n: GroupNotification): number {
  return n.alerts.filter((a) => a.status === 'firing').length;
}

const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 4, error: 3, warning: 2, info: 1 };

/** The most urgent `severity` label among the firing alerts (all alerts when none fires); unknown values rank lowest. */
export function worstSeverity(n: GroupNotification): string | undefined {
  const firing = n.alerts.filter((a) => a.status === 'firing');
  let worst: string | undefined;
  for (const a of firing.length > 0 ? firing : n.alerts) {
    const s = a.labels.severity;
    if (s !== undefined && (worst === undefined || (SEVERITY_RANK[s] ?? 0) > (SEVERITY_RANK[worst] ?? 0))) worst = s;
  }
  return worst;
}

/** Alertmanager's default title: `[FIRING:2] HighLatency (api)` — group label values, then the other common label values. */
export function defaultTitle(n: GroupNotification): string {
  const status = n.status === 'firing' ? `FIRING:${firingCount(n)}` : 'RESOLVED';
  const grouped = Object.keys(n.groupLabels).sort();
  const extra = Object.keys(n.commonLabels)
    .filter((k) => !(k in n.groupLabels))
    .sort()
    .map((k) => n.commonLabels[k]!);
  const head = grouped.map((k) => n.groupLabels[k]!).join(' ');
  return `[${status}] ${head}${extra.length > 0 ? ` (${extra.join(' ')})` : ''}`.trimEnd();
}

/** The alert's own summary, or its description, or its labels when it has neither. */
export function alertLine(a: NotifiedAlert): string {
  const what = a.annotations.summary ?? a.annotations.description ?? formatLabels(a.labels);
  const detail = a.annotations.summary !== undefined && a.annotations.description !== undefined ? ` — ${a.annotations.description}` : '';
  return `${what}${detail}`;
}

export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

export const rfc3339 = (ms: number): string => new Date(ms).toISOString();

export type Template = (n: GroupNotification) => string;

const ACTION = /\{\{\s*(.*?)\s*\}\}/g;
const MAPS = { GroupLabels: 'groupLabels', CommonLabels: 'commonLabels', CommonAnnotations: 'commonAnnotations' } as const;

/**
 * A subset of Alertmanager's Go templates, enough for one-line titles: `{{ .Status }}`,
 * `{{ .Receiver }}`, `{{ .ExternalURL }}`, `{{ .GroupLabels.name }}`, `{{ .CommonLabels.name }}`,
 * `{{ .CommonAnnotations.name }}`, `{{ len .Alerts }}`, `{{ len .Alerts.Firing }}`,
 * `{{ len .Alerts.Resolved }}`, each optionally piped to `toUpper` or `toLower`.
 * Throws at config time for anything else, so a typo is an error rather than a blank.
 */
export function compileTemplate(text: string): Template {
  const parts: (string | Template)[] = [];
  let last = 0;
  for (const m of text.matchAll(ACTION)) {
    parts.push(text.slice(last, m.index));
    parts.push(compileAction(m[1]!));
    last = m.index! + m[0].length;
  }
  parts.push(text.slice(last));
  return (n) => parts.map((p) => (typeof p === 'string' ? p : p(n))).join('');
}

function compileAction(action: string): Template {
  const [expr, ...pipes] = action.split('|').map((p) => p.trim());
  let value = compileValue(expr!);
  for (const pipe of pipes) {
    const inner = value;
    if (pipe === 'toUpper') value = (n) => inner(n).toUpperCase();
    else if (pipe === 'toLower') value = (n) => inner(n).toLowerCase();
    else throw new Error(`unknown template function "${pipe}" in "{{ ${action} }}" (supported: toUpper, toLower)`);
  }
  return value;
}

function compileValue(expr: string): Template {
  if (expr === '.Status') return (n) => n.status;
  if (expr === '.Receiver') return (n) => n.receiver;
  if (expr === '.ExternalURL') return (n) => n.externalURL;
  if (expr === 'len .Alerts') return (n) => String(n.alerts.length);
  if (expr === 'len .Alerts.Firing') return (n) => String(firingCount(n));
  if (expr === 'len .Alerts.Resolved') return (n) => String(n.alerts.length - firingCount(n));
  const field = /^\.(GroupLabels|CommonLabels|CommonAnnotations)\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(expr);
  if (field) {
    const map = MAPS[field[1] as keyof typeof MAPS];
    const name = field[2]!;
    return (n) => n[map][name] ?? '';
  }
  throw new Error(`unsupported template expression "{{ ${expr} }}"`);
}
