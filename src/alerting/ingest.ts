// OTLP metrics into the rule engine's store, named exactly as the Prometheus exporters name them
// (the shared remote-write conversion), with delta points added up into cumulative series first,
// so `rate(x_total[5m])` means the same here as on a Prometheus that scraped the Collector.
import type { MetricsData } from '../pdata/types.js';
import { toRemoteSeries } from '../codec/prometheus-remote-write.js';
import { labelsKey, normalizeLabels } from './labels.js';
import type { SeriesStore } from './storage/series-store.js';

export interface IngestOptions {
  addSuffixes: boolean;
  resourceToTelemetry: boolean;
  /** Delta streams whose running totals are kept, at most (the store's series limit). */
  maxSeries: number;
}

export interface IngestResult {
  appended: number;
  outOfOrder: number;
  overLimit: number;
}

export class SeriesIngest {
  /** Running totals of delta series, and the last time each moved, to forget the idle ones. */
  private readonly totals = new Map<string, { value: number; seenMs: number; lastTs: number }>();

  constructor(
    private readonly store: SeriesStore,
    private readonly options: IngestOptions,
  ) {}

  /**
   * Appends every point of `data`. Points stamped later than `nowMs` are taken as of `nowMs`: a
   * sender's clock running ahead must not hide its data from the evaluation happening now.
   */
  ingest(data: MetricsData, nowMs: number): IngestResult {
    const result: IngestResult = { appended: 0, outOfOrder: 0, overLimit: 0 };
    const { series } = toRemoteSeries(data, {
      addSuffixes: this.options.addSuffixes,
      resourceToTelemetry: this.options.resourceToTelemetry,
      constLabels: {},
      externalLabels: {},
      targetInfo: true,
      keepDeltas: true,
    });
    for (const s of series) {
      const labels = normalizeLabels(s.labels);
      const key = s.delta ? labelsKey(labels) : '';
      for (const sample of s.samples) {
        let ts = sample.timestampMs > 0 ? Math.min(sample.timestampMs, nowMs) : nowMs;
        let value = sample.value;
        if (s.delta) {
          const total = this.totals.get(key);
          if (!total && this.totals.size >= this.options.maxSeries) {
            result.overLimit++;
            continue;
          }
          value += total?.value ?? 0;
          // Increments stamped in the same millisecond (a connector counting request by request)
          // all count: the later one is written a millisecond on rather than refused.
          if (total && ts <= total.lastTs) ts = total.lastTs + 1;
          this.totals.set(key, { value, seenMs: nowMs, lastTs: ts });
        }
        const outcome = this.store.append(labels, ts, value);
        if (outcome === 'ok') result.appended++;
        else if (outcome === 'out_of_order') result.outOfOrder++;
        else result.overLimit++;
      }
    }
    return result;
  }

  /** Forgets running totals not moved within `idleMs`; their next delta starts a new series from zero. */
  forgetIdle(nowMs: number, idleMs: number): void {
    for (const [key, total] of this.totals) if (nowMs - total.seenMs > idleMs) this.totals.delete(key);
  }
}
