// Runs the component graph of a validated config (graph.ts): creates every node's component,
// starts them downstream-first and stops them upstream-first, so receivers stop accepting,
// processors and connectors flush into a downstream that still runs, and exporters drain last.
// A reload builds the new config's graph beside the running one, taking over the receivers,
// exporters and extensions that did not change, points the kept receivers at it in one step, and
// stops the rest of the old graph in the same order as a shutdown.
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type client from 'prom-client';
import type {
  ComponentKind,
  ComponentStatus,
  ConnectorFactory,
  Consumer,
  CreateSettings,
  ExporterFactory,
  Extension,
  ExtensionFactory,
  Lifecycle,
  Processor,
  ProcessorFactory,
  ReceiverFactory,
  Receiver,
  ReloadStatus,
  ServiceHost,
} from '../pipeline/component.js';
import { fanOut } from '../pipeline/fanout.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { SwitchableConsumer } from '../pipeline/switchable-consumer.js';
import { sameConfig, type ComponentConfig, type ServiceConfig } from '../config/types.js';
import type { Signal } from '../pdata/types.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { componentLogger } from '../telemetry/logger.js';
import { startMetricsServer } from '../telemetry/metrics-server.js';
import { ComponentGraph, nodeKey, reusableComponents, type GraphNode } from './graph.js';
import { exportersAnswerAtEnqueue, queueBatchFor } from './batch-handoff.js';

export interface ServiceOptions {
  logger: Logger;
  telemetry?: Telemetry;
  scheduler?: SchedulerLike;
}

/** What runs for one node: a component instance, or the pipeline entry / fan-out the service itself provides. */
interface Running {
  node: GraphNode;
  /** The component to start and stop (none for fan-outs). */
  lifecycle?: Lifecycle;
  /** Where upstream nodes hand data to this node. */
  consumer?: Consumer;
  pipeline?: Pipeline;
  /** The kind reported to health_check. */
  kind?: ComponentKind;
}

export class Service implements ServiceHost {
  phase: ServiceHost['phase'] = 'starting';
  readonly telemetry: Telemetry;
  private readonly scheduler: SchedulerLike;
  private readonly logger: Logger;
  private readonly statuses = new Map<string, ComponentStatus>();
  private readonly graph: ComponentGraph;
  private readonly running = new Map<string, Running>();
  private readonly extensions: { id: string; instance: Extension }[] = [];
  /** Processors with one instance per id across pipelines (factory.shared), and how many nodes use each. */
  private readonly sharedProcessors = new Map<string, { instance: Processor; nodes: number }>();
  /** Components already started or stopped, so one shared by several nodes goes through each once. */
  private readonly lifecycleDone = new WeakMap<Lifecycle, 'started' | 'stopped'>();
  private metricsServer: { port: number; close(): Promise<void> } | undefined;

  constructor(
    private readonly config: ServiceConfig,
    options: ServiceOptions,
  ) {
    this.logger = options.logger;
    this.telemetry = options.telemetry ?? new Telemetry();
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.graph = new ComponentGraph(config);
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
    return this.running.get(nodeKey.receiver(id))?.lifecycle;
  }

  async start(): Promise<void> {
    const { service } = this.config;
    try {
      if (service.telemetry.metrics.address) {
        this.metricsServer = await startMetricsServer(this.telemetry, service.telemetry.metrics.address, this.logger);
      }
      for (const id of service.extensions) {
        const cc = this.config.extensions.get(id)!;
        const instance = (cc.factory as ExtensionFactory).create(this.settings(cc), cc.config, this);
        await this.startComponent(id, 'extension', instance);
        this.extensions.push({ id, instance });
      }
      // Downstream first: whatever a node hands data to is built and running before it is.
      for (const node of [...this.graph.order].reverse()) {
        const running = this.build(node);
        this.running.set(node.key, running);
        if (running.lifecycle && running.kind) await this.startComponent(node.id, running.kind, running.lifecycle);
        running.pipeline?.start();
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
    const instances = new Set<Processor>();
    for (const r of this.running.values()) if (r.node.kind === 'processor' && r.node.id === id) instances.add(r.lifecycle as Processor);
    return [...instances];
  }

  private shutdownPromise: Promise<void> | undefined;

  /** Graceful stop within service.shutdown_timeout; safe to call more than once. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    this.phase = 'stopping';
    const deadline = this.scheduler.now() + this.config.service.shutdownTimeoutMs;
    this.logger.info({ timeout_ms: this.config.service.shutdownTimeoutMs }, 'shutdown: receivers stop accepting');
    const stopped = new Map<string, Promise<void>>();
    // Each node stops once everything upstream of it has, so what it flushes is still taken
    // downstream. Receivers only need to have stopped accepting: a request in flight is answered
    // once the pipelines behind it flush, so waiting for receivers to finish first would stall.
    const stop = (node: GraphNode): Promise<void> => {
      let done = stopped.get(node.key);
      if (!done) {
        const upstream = this.graph.upstream(node.key).filter((u) => u.kind !== 'receiver');
        done = Promise.all(upstream.map(stop)).then(() => this.stopNode(node, deadline));
        stopped.set(node.key, done);
      }
      return done;
    };
    // In data order, so receivers begin to stop first.
    await Promise.all(this.graph.order.filter((n) => this.running.has(n.key)).map(stop));
    for (const { id, instance } of [...this.extensions].reverse()) await this.stopComponent(id, 'extension', instance, deadline);
    await this.metricsServer?.close();
    this.phase = 'stopped';
    this.logger.info('shutdown complete');
  }

  private async stopNode(node: GraphNode, deadline: number): Promise<void> {
    const running = this.running.get(node.key)!;
    if (running.pipeline) {
      await running.pipeline.close();
      running.pipeline.dispose();
      return;
    }
    if (!running.lifecycle || !running.kind) return;
    if (node.kind === 'processor') {
      // The pipeline's close has already completed the operator; a shared instance stops with the last pipeline using it.
      const shared = this.sharedProcessors.get(node.id);
      if (shared && --shared.nodes > 0) return;
    }
    await this.stopComponent(node.id, running.kind, running.lifecycle, deadline);
  }

  private async stopComponent(id: string, kind: ComponentKind, instance: Lifecycle, deadline: number): Promise<void> {
    if (this.lifecycleDone.get(instance) === 'stopped') return;
    this.lifecycleDone.set(instance, 'stopped');
    this.reportStatus(id, kind, 'stopping');
    try {
      await instance.shutdown(deadline);
      this.reportStatus(id, kind, 'stopped');
    } catch (err) {
      this.reportStatus(id, kind, 'permanent_error', String(err));
      this.logger.error({ err, kind, component: id }, 'component failed to shut down cleanly');
    }
  }

  private async startComponent(id: string, kind: ComponentKind, instance: Lifecycle): Promise<void> {
    if (this.lifecycleDone.has(instance)) return;
    this.lifecycleDone.set(instance, 'started');
    this.reportStatus(id, kind, 'starting');
    try {
      await instance.start();
    } catch (err) {
      this.reportStatus(id, kind, 'permanent_error', String(err));
      throw new Error(`${kind} ${id} failed to start: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    this.reportStatus(id, kind, 'ok');
  }

  private settings(cc: ComponentConfig): CreateSettings {
    return {
      id: cc.id,
      kind: cc.kind,
      logger: componentLogger(this.logger, cc.kind, cc.id),
      telemetry: this.telemetry,
      scheduler: this.scheduler,
      reportStatus: (status, error) => this.reportStatus(cc.id, cc.kind, status, error),
      extension: (id) => this.extensions.find((e) => e.id === id)?.instance,
    };
  }

  /** Creates what runs for a node; everything downstream of it already exists. */
  private build(node: GraphNode): Running {
    const cc = node.component;
    switch (node.kind) {
      case 'exporter': {
        const instance = (cc!.factory as ExporterFactory).create({ ...this.settings(cc!), queueBatch: queueBatchFor(node, this.graph) }, cc!.config, node.signal!);
        return { node, lifecycle: instance, consumer: instance, kind: 'exporter' };
      }
      case 'connector': {
        const pipelines = new Map<string, Consumer>(this.graph.downstream(node.key).map((p) => [p.id, this.consumerOf(p)]));
        const targets = { all: fanOut([...pipelines.values()]), pipelines };
        const instance = (cc!.factory as ConnectorFactory).create(this.settings(cc!), cc!.config, node.signal!, node.to!, targets);
        return { node, lifecycle: instance, consumer: instance, kind: 'connector' };
      }
      case 'fanout':
        return { node, consumer: fanOut(this.graph.downstream(node.key).map((n) => this.consumerOf(n))) };
      case 'processor':
        return { node, lifecycle: this.processor(cc!, node), kind: 'processor' };
      case 'pipeline': {
        const p = node.pipeline!;
        const processors = p.processors.map((id, i) => this.running.get(nodeKey.processor(p.id, i, id))!.lifecycle as Processor);
        const mutates = p.processors.some((id) => (this.config.processors.get(id)!.factory as ProcessorFactory).mutates);
        const pipeline = new Pipeline(p.id, p.signal, processors, mutates, this.consumerOf(this.graph.node(nodeKey.fanout(p.id))), componentLogger(this.logger, 'pipeline', p.id));
        return { node, consumer: pipeline, pipeline };
      }
      case 'receiver': {
        const bySignal = new Map<Signal, Consumer[]>();
        for (const entry of this.graph.downstream(node.key)) bySignal.set(entry.signal!, [...(bySignal.get(entry.signal!) ?? []), this.consumerOf(entry)]);
        const next = Object.fromEntries([...bySignal].map(([signal, consumers]) => [signal, fanOut(consumers)]));
        const instance = (cc!.factory as ReceiverFactory).create(this.settings(cc!), cc!.config, next);
        return { node, lifecycle: instance, kind: 'receiver' };
      }
    }
  }

  private processor(cc: ComponentConfig, node: GraphNode): Processor {
    const factory = cc.factory as ProcessorFactory;
    const signal = node.signal!;
    const settings = { ...this.settings(cc), exportersAnswerAtEnqueue: exportersAnswerAtEnqueue(node, this.graph, (n) => this.running.get(n.key)?.lifecycle) };
    if (!factory.shared) return factory.create(settings, cc.config, signal);
    let shared = this.sharedProcessors.get(cc.id);
    if (!shared) this.sharedProcessors.set(cc.id, (shared = { instance: factory.create(settings, cc.config, signal), nodes: 0 }));
    shared.nodes++;
    return shared.instance;
  }

  private consumerOf(node: GraphNode): Consumer {
    const consumer = this.running.get(node.key)?.consumer;
    if (!consumer) throw new Error(`${node.key} is consumed before it was built`);
    return consumer;
  }
}
