// Item counts per signal: spans, metric data points, log records (what the Collector counts).
import type { AnyData, LogsData, Metric, MetricsData, Signal, TracesData } from './types.js';

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

export function countItems(signal: Signal, data: AnyData): number {
  switch (signal) {
    case 'traces':
      return countSpans(data as TracesData);
    case 'metrics':
      return countDataPoints(data as MetricsData);
    case 'logs':
      return countLogRecords(data as LogsData);
  }
}

/** The noun the Collector uses in metric names for a signal's items. */
export const ITEM_NAME: Record<Signal, 'spans' | 'metric_points' | 'log_records'> = {
  traces: 'spans',
  metrics: 'metric_points',
  logs: 'log_records',
};
