// OTLP metrics into the rule engine's store, named exactly as the Prometheus exporters name them
// (the shared remote-write conversion), with delta points added up into cumulative series first,
// so `rate(x_total[5m])` means the same here as on a Prometheus that scraped the Collector.
import type { MetricsData } from '../pdata/types.js';
import { toRemoteSeries } from '../codec/prometheus-remote-write.js';
import { labelsKey, normalizeLabels, type Labels } from './labels.js';
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
  /** Non-finite delta increments, refused. */
  invalid: number;
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
    const result: IngestResult = { appended: 0, outOfOrder: 0, overLimit: 0, invalid: 0 };
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
      if (s.delta) {
        this.addDeltas(labels, s.samples, nowMs, result);
        continue;
      }
      for (const sample of s.samples) this.append(labels, sample.timestampMs > 0 ? Math.min(sample.timestampMs, nowMs) : nowMs, sample.value, result);
    }
    return result;
  }

  /**
   * A delta series' increments of one batch go into its running total, written as one sample at
   * the batch's latest time (never later than now, so a burst cannot push the store's clock
   * ahead). A batch landing in the millisecond already written is carried by the next sample.
   */
  private addDeltas(labels: Labels, samples: readonly { value: number; timestampMs: number }[], nowMs: number, result: IngestResult): void {
    const key = labelsKey(labels);
    const total = this.totals.get(key);
    if (!total && this.totals.size >= this.options.maxSeries) {
      result.overLimit += samples.length;
      return;
    }
    let value = total?.value ?? 0;
    let latest = 0;
    let valid = 0;
    for (const sample of samples) {
      // One NaN or infinite increment would poison the total for good.
      if (!Number.isFinite(sample.value)) {
        result.invalid++;
        continue;
      }
      value += sample.value;
      latest = Math.max(latest, sample.timestampMs);
      valid++;
    }
    if (valid === 0) return;
    let ts = latest > 0 ? Math.min(latest, nowMs) : nowMs;
    if (total && ts <= total.lastTs) ts = Math.min(total.lastTs + 1, nowMs);
    const written = !total || ts > total.lastTs;
    this.totals.set(key, { value, seenMs: nowMs, lastTs: written ? ts : total.lastTs });
    if (written) this.append(labels, ts, value, result);
  }

  private append(labels: Labels, ts: number, value: number, result: IngestResult): void {
    const outcome = this.store.append(labels, ts, value);
    if (outcome === 'ok') result.appended++;
    else if (outcome === 'out_of_order') result.outOfOrder++;
    else result.overLimit++;
  }

  /** Forgets running totals not moved within `idleMs`; their next delta starts a new series from zero. */
  forgetIdle(nowMs: number, idleMs: number): void {
    for (const [key, total] of this.totals) if (nowMs - total.seenMs > idleMs) this.totals.delete(key);
  }
}
