// sluice's own metrics, under the Collector's names and labels so existing dashboards work.
// One Telemetry per service instance: no process-global registry.
import client from 'prom-client';
import type { Signal } from '../pdata/types.js';
import { ITEM_NAME } from '../pdata/count.js';
import { StatusRoutes } from './status-routes.js';

type Labels = Record<string, string>;

export interface ReceiverTelemetry {
  accepted(signal: Signal, items: number): void;
  refused(signal: Signal, items: number): void;
  /** A request rejected before its items could be counted (undecodable, too large, wrong type). */
  badRequest(reason: string): void;
}

export interface ExporterTelemetry {
  sent(items: number): void;
  sendFailed(items: number): void;
  enqueueFailed(items: number): void;
  /** Registers the live queue size and capacity for this exporter and signal. */
  observeQueue(size: () => number, capacity: number): void;
}

export interface ProcessorTelemetry {
  dropped(signal: Signal, items: number): void;
  refused(signal: Signal, items: number): void;
  /** Items handed to the processor, and items it passed on or released (the processor helper counts both). */
  incoming(signal: Signal, items: number): void;
  outgoing(signal: Signal, items: number): void;
  /** Items of requests the processor failed on (it threw): the sender was told, nothing went on. */
  failed(signal: Signal, items: number): void;
}

export class Telemetry {
  readonly registry = new client.Registry();
  /** Component APIs served on the status port next to /metrics. */
  readonly routes = new StatusRoutes();
  private readonly started = Date.now();

  constructor() {
    this.registerProcessMetrics();
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): client.Counter<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as client.Counter<string>;
    return new client.Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): client.Gauge<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as client.Gauge<string>;
    return new client.Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: number[]): client.Histogram<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as client.Histogram<string>;
    return new client.Histogram({ name, help, labelNames: [...labelNames], buckets, registers: [this.registry] });
  }

  receiver(id: string, transport: string): ReceiverTelemetry {
    const labels: Labels = { receiver: id, transport };
    const accepted = bySignal((item) => this.counter(`otelcol_receiver_accepted_${item}`, `Number of ${item} successfully pushed into the pipeline.`, ['receiver', 'transport']).labels(labels));
    const refused = bySignal((item) => this.counter(`otelcol_receiver_refused_${item}`, `Number of ${item} that could not be pushed into the pipeline.`, ['receiver', 'transport']).labels(labels));
    const bad = this.counter('sluice_receiver_bad_requests', 'Requests rejected before decoding their items (malformed, too large, unsupported).', ['receiver', 'transport', 'reason']);
    return {
      accepted: (signal, n) => accepted[signal].inc(n),
      refused: (signal, n) => refused[signal].inc(n),
      badRequest: (reason) => bad.inc({ ...labels, reason }),
    };
  }

  exporter(id: string, signal: Signal): ExporterTelemetry {
    const item = ITEM_NAME[signal];
    const labels: Labels = { exporter: id };
    const sent = this.counter(`otelcol_exporter_sent_${item}`, `Number of ${item} successfully sent to destination.`, ['exporter']).labels(labels);
    const failed = this.counter(`otelcol_exporter_send_failed_${item}`, `Number of ${item} in failed attempts to send to destination.`, ['exporter']).labels(labels);
    const enqueue = this.counter(`otelcol_exporter_enqueue_failed_${item}`, `Number of ${item} failed to be added to the sending queue.`, ['exporter']).labels(labels);
    return {
      sent: (n) => sent.inc(n),
      sendFailed: (n) => failed.inc(n),
      enqueueFailed: (n) => enqueue.inc(n),
      observeQueue: (size, capacity) => {
        const qLabels = { exporter: id, data_type: signal };
        this.callbackGauge('otelcol_exporter_queue_size', 'Current size of the retry queue (in batches).', qLabels, size);
        this.callbackGauge('otelcol_exporter_queue_capacity', 'Fixed capacity of the retry queue (in batches).', qLabels, () => capacity);
      },
    };
  }

  processor(id: string): ProcessorTelemetry {
    const labels: Labels = { processor: id };
    const dropped = bySignal((item) => this.counter(`otelcol_processor_dropped_${item}`, `Number of ${item} that were dropped.`, ['processor']).labels(labels));
    const refused = bySignal((item) => this.counter(`otelcol_processor_refused_${item}`, `Number of ${item} that were rejected by the next component in the pipeline.`, ['processor']).labels(labels));
    // One metric per direction with the signal as a label, as the Collector's processorhelper since v0.110 (`otel.signal`, exposed as otel_signal).
    // Bound on first use, so a traces-only processor exposes no metrics or logs series.
    const perSignal = (name: string, help: string) => {
      const counter = this.counter(name, help, ['processor', 'otel_signal']);
      const bound: Partial<Record<Signal, client.Counter.Internal>> = {};
      return (signal: Signal) => (bound[signal] ??= counter.labels({ ...labels, otel_signal: signal }));
    };
    const incoming = perSignal('otelcol_processor_incoming_items', 'Number of items passed to the processor.');
    const outgoing = perSignal('otelcol_processor_outgoing_items', 'Number of items emitted from the processor.');
    const failed = perSignal('sluice_processor_failed_items', 'Items of requests a processor failed on; their senders got a permanent error.');
    return {
      dropped: (signal, n) => dropped[signal].inc(n),
      refused: (signal, n) => refused[signal].inc(n),
      incoming: (signal, n) => incoming(signal).inc(n),
      outgoing: (signal, n) => outgoing(signal).inc(n),
      failed: (signal, n) => failed(signal).inc(n),
    };
  }

  /** A gauge whose value is read at scrape time; several label sets may share one metric name. */
  callbackGauge(name: string, help: string, labels: Labels, read: () => number): void {
    let entry = this.callbacks.get(name);
    if (!entry) {
      const readers = new Map<string, { labels: Labels; read: () => number }>();
      entry = readers;
      this.callbacks.set(name, readers);
      const labelNames = Object.keys(labels);
      new client.Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const r of readers.values()) this.set(r.labels, r.read());
        },
      });
    }
    entry.set(JSON.stringify(labels), { labels, read });
  }

  private readonly callbacks = new Map<string, Map<string, { labels: Labels; read: () => number }>>();

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private registerProcessMetrics(): void {
    const started = this.started;
    this.callbackGauge('otelcol_process_uptime', 'Uptime of the process in seconds.', {}, () => (Date.now() - started) / 1000);
    this.callbackGauge('otelcol_process_memory_rss', 'Total physical memory (resident set size) in bytes.', {}, () => process.memoryUsage.rss());
    this.callbackGauge('otelcol_process_runtime_heap_alloc_bytes', 'Bytes of allocated heap objects (V8 heap used plus external buffers).', {}, () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    });
    this.callbackGauge('otelcol_process_runtime_total_sys_memory_bytes', 'Total bytes of memory obtained from the OS (V8 heap total plus external).', {}, () => {
      const m = process.memoryUsage();
      return m.heapTotal + m.external;
    });
    this.callbackGauge('otelcol_process_cpu_seconds', 'Total CPU user and system time in seconds.', {}, () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    });
  }
}

function bySignal<T>(make: (item: string) => T): Record<Signal, T> {
  return { traces: make(ITEM_NAME.traces), metrics: make(ITEM_NAME.metrics), logs: make(ITEM_NAME.logs) };
}
