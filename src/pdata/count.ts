// Item counts per signal: spans, metric data points, log records (what the Collector counts).
import { payloadOf, type LogsData, type Metric, type MetricsData, type Signal, type SignalData, type TracesData } from './types.js';

export function countSpans(data: TracesData): number {
  let n = 0;
  for (const rs of data.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
  return n;
}

export function metricPointCount(m: Metric): number {
  return (
    m.gauge?.dataPoints?.length ??
    m.sum?.dataPoints?.length ??
    m.histogram?.dataPoints?.length ??
    m.exponentialHistogram?.dataPoints?.length ??
    m.summary?.dataPoints?.length ??
    0
  );
}

export function countDataPoints(data: MetricsData): number {
  let n = 0;
  for (const rm of data.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) n += metricPointCount(m);
  return n;
}

export function countLogRecords(data: LogsData): number {
  let n = 0;
  for (const rl of data.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) n += sl.logRecords?.length ?? 0;
  return n;
}

export function countItems<S extends Signal>(signal: S, data: SignalData[S]): number {
  const p = payloadOf(signal, data);
  switch (p.signal) {
    case 'traces':
      return countSpans(p.data);
    case 'metrics':
      return countDataPoints(p.data);
    case 'logs':
      return countLogRecords(p.data);
  }
}

/** The noun the Collector uses in metric names for a signal's items. */
export const ITEM_NAME: Record<Signal, 'spans' | 'metric_points' | 'log_records'> = {
  traces: 'spans',
  metrics: 'metric_points',
  logs: 'log_records',
};
