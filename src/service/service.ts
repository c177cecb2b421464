// Builds the component graph from a validated config, starts it consumers-first and stops it
// producers-first: receivers stop accepting, pipelines flush, exporters drain until the deadline.
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { Signal } from '../pdata/types.js';
import type {
  ComponentKind,
  ComponentStatus,
  Connector,
  ConnectorFactory,
  Consumer,
  CreateSettings,
  Exporter,
  ExporterFactory,
  Extension,
  ExtensionFactory,
  Lifecycle,
  Processor,
  ProcessorFactory,
  Receiver,
  ReceiverFactory,
  ServiceHost,
} from '../pipeline/component.js';
import { fanOut } from '../pipeline/fanout.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { sameConfig, type ComponentConfig, type PipelineConfig, type ServiceConfig } from '../config/types.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { componentLogger } from '../telemetry/logger.js';
import { startMetricsServer } from '../telemetry/metrics-server.js';

export interface ServiceOptions {
  logger: Logger;
  telemetry?: Telemetry;
  scheduler?: SchedulerLike;
}

interface Started<T extends Lifecycle> {
  id: string;
  kind: ComponentKind;
  instance: T;
}

export class Service implements ServiceHost {
  phase: ServiceHost['phase'] = 'starting';
  readonly telemetry: Telemetry;
  private readonly scheduler: SchedulerLike;
  private readonly logger: Logger;
  private readonly statuses = new Map<string, ComponentStatus>();
  private readonly extensions: Started<Extension>[] = [];
  private readonly exporters = new Map<string, Started<Exporter>>();
  private readonly connectors = new Map<string, Started<Connector>>();
  private readonly pipelines = new Map<string, { pipeline: Pipeline; processors: Started<Processor>[] }>();
  /** Pipelines in the order data flows through them (a connector's upstream before its downstream). */
  private readonly pipelineOrder: string[] = [];
  private readonly receivers: Started<Receiver>[] = [];
  /** Processors with one instance per id across pipelines (factory.shared). */
  private readonly sharedProcessors = new Map<string, Started<Processor> & { mutates: boolean }>();
  /** Components already started or stopped, so a shared one goes through each only once. */
  private readonly lifecycleDone = new WeakMap<Lifecycle, 'started' | 'stopped'>();
  private metricsServer: { port: number; close(): Promise<void> } | undefined;

  constructor(
    private readonly config: ServiceConfig,
    options: ServiceOptions,
  ) {
    this.logger = options.logger;
    this.telemetry = options.telemetry ?? new Telemetry();
    this.scheduler = options.scheduler ?? asyncScheduler;
  }

  componentStatuses(): ComponentStatus[] {
    return [...this.statuses.values()];
  }

  reportStatus(id: string, kind: ComponentKind, status: ComponentStatus['status'], error?: string): void {
    const key = `${kind}:${id}`;
    const prev = this.statuses.get(key);
    if (prev && prev.status === status && prev.error === error) return;
    this.statuses.set(key, { id, kind, status, error, since: Date.now() });
  }

  /** The port of our own metrics endpoint, once started (for tests and logs). */
  metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /** A started receiver instance, by id (tests use it to learn bound ports). */
  receiver(id: string): Receiver | undefined {
    return this.receivers.find((r) => r.id === id)?.instance;
  }

  async start(): Promise<void> {
    const { service } = this.config;
    try {
      if (service.telemetry.metrics.address) {
        this.metricsServer = await startMetricsServer(this.telemetry, service.telemetry.metrics.address, this.logger);
      }
      for (const id of service.extensions) {
        const cc = this.config.extensions.get(id)!;
        const factory = cc.factory as ExtensionFactory;
        const instance = factory.create(this.settings(cc), cc.config, this);
        await this.startComponent({ id, kind: 'extension', instance }, this.extensions);
      }
      // Consumers first: the receivers' targets must be ready before the first byte arrives.
      for (const p of service.pipelines) this.buildPipeline(p, []);
      for (const e of this.exporters.values()) await this.startComponent(e);
      for (const c of this.connectors.values()) await this.startComponent(c);
      for (const id of this.pipelineOrder) {
        const { pipeline, processors } = this.pipelines.get(id)!;
        for (const p of processors) await this.startComponent(p);
        pipeline.start();
      }
      for (const [id, cc] of this.config.receivers) {
        const next = this.receiverConsumers(id);
        if (Object.keys(next).length === 0) continue;
        const factory = cc.factory as ReceiverFactory;
        const instance = factory.create(this.settings(cc), cc.config, next);
        await this.startComponent({ id, kind: 'receiver', instance }, this.receivers);
      }
    } catch (err) {
      this.logger.error({ err }, 'start failed; shutting down what was started');
      await this.shutdown();
      throw err;
    }
    this.phase = 'running';
    this.logger.info({ pipelines: service.pipelines.map((p) => p.id) }, 'everything is ready; begin running and processing data');
  }

  /**
   * Applies a changed configuration where the running components can take it (a processor with
   * `reload`, such as the alerting processor's rules); whatever else changed keeps running as it
   * was and is listed as needing a restart.
   */
  reload(next: ServiceConfig): { reloaded: string[]; needsRestart: string[] } {
    const reloaded: string[] = [];
    const needsRestart: string[] = [];
    for (const section of ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const) {
      const before = this.config[section];
      const after = next[section];
      for (const id of new Set([...before.keys(), ...after.keys()])) {
        const was = before.get(id);
        const now = after.get(id);
        if (was && now && was.type === now.type && sameConfig(was.config, now.config)) continue;
        const instances = section === 'processors' && was && now && was.type === now.type ? this.processorInstances(id) : [];
        if (instances.length > 0 && instances.every((p) => p.reload?.(now!.config) === true)) {
          before.set(id, now!);
          reloaded.push(`${section}.${id}`);
        } else needsRestart.push(`${section}.${id}`);
      }
    }
    if (!sameConfig(this.config.service, next.service)) needsRestart.push('service');
    this.logger.info({ reloaded, needs_restart: needsRestart }, needsRestart.length ? 'configuration reloaded in part; the rest takes effect at the next restart' : 'configuration reloaded');
    return { reloaded, needsRestart };
  }

  private processorInstances(id: string): Processor[] {
    const shared = this.sharedProcessors.get(id);
    if (shared) return [shared.instance];
    return [...this.pipelines.values()].flatMap(({ processors }) => processors.filter((p) => p.id === id).map((p) => p.instance));
  }

  private shutdownPromise: Promise<void> | undefined;

  /** Graceful stop within service.shutdown_timeout; safe to call more than once. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    this.phase = 'stopping';
    const deadline = Date.now() + this.config.service.shutdownTimeoutMs;
    this.logger.info({ timeout_ms: this.config.service.shutdownTimeoutMs }, 'shutdown: receivers stop accepting');
    // Not awaited yet: requests in flight are answered only once the pipelines below flush what
    // they hold, so waiting for the receivers first would stall until the deadline.
    const receiversStopped = Promise.all(this.receivers.map((r) => this.stopAll([r], deadline)));
    // Upstream pipelines first, so what a connector forwards is still taken downstream.
    for (const id of this.pipelineOrder) {
      const { pipeline, processors } = this.pipelines.get(id)!;
      await pipeline.close();
      await this.stopAll(processors, deadline);
      pipeline.dispose();
    }
    await this.stopAll([...this.connectors.values()], deadline);
    await receiversStopped;
    this.logger.info('shutdown: draining exporter queues');
    await this.stopAll([...this.exporters.values()], deadline);
    await this.stopAll([...this.extensions].reverse(), deadline);
    await this.metricsServer?.close();
    this.phase = 'stopped';
    this.logger.info('shutdown complete');
  }

  private async stopAll(components: Started<Lifecycle>[], deadline: number): Promise<void> {
    for (const c of components) {
      if (this.lifecycleDone.get(c.instance) === 'stopped') continue;
      this.lifecycleDone.set(c.instance, 'stopped');
      this.reportStatus(c.id, c.kind, 'stopping');
      try {
        await c.instance.shutdown(deadline);
        this.reportStatus(c.id, c.kind, 'stopped');
      } catch (err) {
        this.reportStatus(c.id, c.kind, 'permanent_error', String(err));
        this.logger.error({ err, kind: c.kind, component: c.id }, 'component failed to shut down cleanly');
      }
    }
  }

  private async startComponent<T extends Lifecycle>(c: Started<T>, list?: Started<T>[]): Promise<void> {
    if (this.lifecycleDone.has(c.instance)) return;
    this.lifecycleDone.set(c.instance, 'started');
    this.reportStatus(c.id, c.kind, 'starting');
    try {
      await c.instance.start();
    } catch (err) {
      this.reportStatus(c.id, c.kind, 'permanent_error', String(err));
      throw new Error(`${c.kind} ${c.id} failed to start: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    list?.push(c);
    this.reportStatus(c.id, c.kind, 'ok');
  }

  private settings(cc: ComponentConfig): CreateSettings {
    return {
      id: cc.id,
      kind: cc.kind,
      logger: componentLogger(this.logger, cc.kind, cc.id),
      telemetry: this.telemetry,
      scheduler: this.scheduler,
      reportStatus: (status, error) => this.reportStatus(cc.id, cc.kind, status, error),
    };
  }

  /** Builds a pipeline after everything it feeds; `path` detects connector cycles. */
  private buildPipeline(p: PipelineConfig, path: string[]): Pipeline {
    const built = this.pipelines.get(p.id);
    if (built) return built.pipeline;
    if (path.includes(p.id)) throw new Error(`connector cycle: ${[...path, p.id].join(' -> ')}`);
    const next: Consumer[] = p.exporters.map((id) =>
      this.config.connectors.has(id) ? this.connector(id, p.signal, [...path, p.id]) : this.exporter(id, p.signal),
    );
    const processors = p.processors.map((id) => {
      const cc = this.config.processors.get(id)!;
      const factory = cc.factory as ProcessorFactory;
      let started = factory.shared ? this.sharedProcessors.get(id) : undefined;
      if (!started) {
        started = { id, kind: 'processor' as const, instance: factory.create(this.settings(cc), cc.config, p.signal), mutates: factory.mutates };
        if (factory.shared) this.sharedProcessors.set(id, started);
      }
      return started;
    });
    const pipeline = new Pipeline(
      p.id,
      p.signal,
      processors.map((x) => x.instance),
      processors.some((x) => x.mutates),
      next,
      componentLogger(this.logger, 'pipeline', p.id),
    );
    this.pipelines.set(p.id, { pipeline, processors });
    this.pipelineOrder.unshift(p.id);
    return pipeline;
  }

  private exporter(id: string, signal: Signal): Exporter {
    const key = `${id}\u0000${signal}`;
    let e = this.exporters.get(key);
    if (!e) {
      const cc = this.config.exporters.get(id)!;
      const instance = (cc.factory as ExporterFactory).create(this.settings(cc), cc.config, signal);
      e = { id, kind: 'exporter', instance };
      this.exporters.set(key, e);
    }
    return e.instance;
  }

  /** One connector instance per (id, exporter-side signal, receiver-side signal), as in the Collector. */
  private connector(id: string, from: Signal, path: string[]): Consumer {
    const downstream = this.config.service.pipelines.filter((q) => q.receivers.includes(id));
    const bySignal = new Map<Signal, Map<string, Consumer>>();
    for (const q of downstream) {
      const pipelines = bySignal.get(q.signal) ?? new Map<string, Consumer>();
      pipelines.set(q.id, this.buildPipeline(q, path));
      bySignal.set(q.signal, pipelines);
    }
    const cc = this.config.connectors.get(id)!;
    const factory = cc.factory as ConnectorFactory;
    const instances: Consumer[] = [];
    for (const [to, pipelines] of bySignal) {
      if (!factory.pairs.some(([f, t]) => f === from && t === to)) continue;
      const key = `${id}\u0000${from}\u0000${to}`;
      let c = this.connectors.get(key);
      if (!c) {
        const targets = { all: fanOut([...pipelines.values()]), pipelines };
        c = { id, kind: 'connector', instance: factory.create(this.settings(cc), cc.config, from, to, targets) };
        this.connectors.set(key, c);
      }
      instances.push(c.instance);
    }
    return fanOut(instances);
  }

  private receiverConsumers(id: string): Partial<Record<Signal, Consumer>> {
    const next: Partial<Record<Signal, Consumer>> = {};
    const bySignal = new Map<Signal, Consumer[]>();
    for (const p of this.config.service.pipelines) {
      if (!p.receivers.includes(id)) continue;
      const list = bySignal.get(p.signal) ?? [];
      list.push(this.pipelines.get(p.id)!.pipeline);
      bySignal.set(p.signal, list);
    }
    for (const [signal, consumers] of bySignal) next[signal] = fanOut(consumers);
    return next;
  }
}
