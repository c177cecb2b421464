// The Prometheus text exposition format (0.0.4), and OpenMetrics 1.0 with exemplars.
import type { PromExemplar, Series } from './accumulator.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface WriteOptions {
  openMetrics: boolean;
  sendTimestamps: boolean;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function labelText(labels: readonly [string, string][], extra?: [string, string]): string {
  const all = extra ? [...labels, extra] : labels;
  if (all.length === 0) return '';
  return `{${all.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function exemplarText(e: PromExemplar | undefined, openMetrics: boolean): string {
  if (!openMetrics || !e) return '';
  return ` # {trace_id="${e.traceId}",span_id="${e.spanId}"} ${formatNumber(e.value)} ${(e.timestampMs / 1000).toFixed(3)}`;
}

/** Renders every series, grouped into families (one HELP/TYPE block per name), sorted for stable output. */
export function writeExposition(series: readonly Series[], options: WriteOptions): string {
  const families = new Map<string, Series[]>();
  for (const s of series) {
    const list = families.get(s.name) ?? [];
    list.push(s);
    families.set(s.name, list);
  }
  const out: string[] = [];
  for (const name of [...families.keys()].sort()) {
    const members = families.get(name)!;
    const first = members[0]!;
    // OpenMetrics names the counter family without `_total`; its samples keep it.
    const familyName = options.openMetrics && first.kind === 'counter' && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
    if (first.help) out.push(`# HELP ${familyName} ${escapeHelp(first.help)}`);
    out.push(`# TYPE ${familyName} ${first.kind}`);
    for (const s of members) {
      const ts = options.sendTimestamps ? ` ${options.openMetrics ? (s.timestampMs / 1000).toFixed(3) : s.timestampMs}` : '';
      switch (s.kind) {
        case 'counter':
        case 'gauge':
          out.push(`${name}${labelText(s.labels)} ${formatNumber(s.value)}${ts}${s.kind === 'counter' ? exemplarText(s.exemplar, options.openMetrics) : ''}`);
          break;
        case 'histogram': {
          let cumulative = 0;
          for (let i = 0; i < s.counts.length; i++) {
            cumulative += s.counts[i]!;
            const le = i < s.bounds.length ? formatNumber(s.bounds[i]!) : '+Inf';
            out.push(`${name}_bucket${labelText(s.labels, ['le', le])} ${cumulative}${ts}${exemplarText(s.exemplars[i], options.openMetrics)}`);
          }
          if (s.counts.length <= s.bounds.length) out.push(`${name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}${ts}`);
          out.push(`${name}_sum${labelText(s.labels)} ${formatNumber(s.sum)}${ts}`);
          out.push(`${name}_count${labelText(s.labels)} ${s.count}${ts}`);
          break;
        }
        case 'summary':
          for (const [q, v] of s.quantiles) out.push(`${name}${labelText(s.labels, ['quantile', formatNumber(q)])} ${formatNumber(v)}${ts}`);
          out.push(`${name}_sum${labelText(s.labels)} ${formatNumber(s.sum)}${ts}`);
          out.push(`${name}_count${labelText(s.labels)} ${s.count}${ts}`);
          break;
      }
    }
  }
  if (options.openMetrics) out.push('# EOF');
  return out.length ? `${out.join('\n')}\n` : '';
}
