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
  Consumer,
  CreateSettings,
  Extension,
  Lifecycle,
  Processor,
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
import { ComponentGraph, nodeKey, reusableComponents, type GraphNode, type ProcessorNode, type Reusable } from './graph.js';
import { exportersAnswerAtEnqueue, queueBatchFor } from './batch-handoff.js';

export interface ServiceOptions {
  logger: Logger;
  telemetry?: Telemetry;
  scheduler?: SchedulerLike;
}

/** Whether a component instance may still report its health: not once a reload replaced or removed it. */
interface Voice {
  retired: boolean;
}

/** What runs for one node: a component instance, or the pipeline entry / fan-out the service itself provides. */
interface Running {
  node: GraphNode;
  /** The component to start and stop (none for fan-outs). */
  lifecycle?: Lifecycle;
  /** Processors: the instance (the same object as `lifecycle`), which the pipeline entry runs and a reload may reconfigure. */
  processor?: Processor;
  /** Where upstream nodes hand data to this node. */
  consumer?: Consumer;
  pipeline?: Pipeline;
  /** The kind reported to health_check. */
  kind?: ComponentKind;
  /** Receivers: what they hand each signal to, which a reload that keeps them points at the new graph. */
  inputs?: ReadonlyMap<Signal, SwitchableConsumer>;
  /** Receivers: where `inputs` point in this node's graph. */
  targets?: ReadonlyMap<Signal, Consumer>;
  voice?: Voice;
}

/** One built graph and what runs for its nodes. */
interface Run {
  readonly graph: ComponentGraph;
  readonly running: Map<string, Running>;
  /** Processors with one instance per id across pipelines (factory.shared), and how many nodes use each. */
  readonly sharedProcessors: Map<string, { instance: Processor; nodes: number }>;
}

interface RunningExtension {
  id: string;
  /** The config it was started with (a changed one keeps running with it until a restart). */
  config: ComponentConfig<'extension'>;
  instance: Extension;
  voice: Voice;
}

/** What a reload did, by component (`receivers.otlp`, `exporters.otlphttp/a`, `extensions.health_check`). */
export interface ReloadResult {
  successful: boolean;
  /** The same instance runs on: receivers keep their sockets, exporters their queues. */
  kept: string[];
  /** In both configs, running as a new instance: changed, or processors and connectors, rebuilt with their pipelines. */
  rebuilt: string[];
  /** Only in the new config. */
  started: string[];
  /** Only in the old config. */
  stopped: string[];
  /** Processors that took their changed config in place (`reload`), keeping their state. */
  reloaded: string[];
  /** Changes only a restart applies; the old settings stay in effect. */
  needsRestart: string[];
  errors: string[];
}

const SECTION: Record<ComponentKind, string> = { receiver: 'receivers', processor: 'processors', exporter: 'exporters', connector: 'connectors', extension: 'extensions' };

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class Service implements ServiceHost {
  phase: ServiceHost['phase'] = 'starting';
  readonly telemetry: Telemetry;
  private readonly scheduler: SchedulerLike;
  private readonly logger: Logger;
  private readonly statuses = new Map<string, ComponentStatus>();
  private current: Run;
  private readonly extensions: RunningExtension[] = [];
  /** Components already started or stopped, so one shared by several nodes (or graphs) goes through each once. */
  private readonly lifecycleDone = new WeakMap<Lifecycle, 'started' | 'stopped'>();
  private metricsServer: { port: number; close(): Promise<void> } | undefined;
  private loadStatus: ReloadStatus = { successful: false, at: 0, lastSuccessAt: 0, errors: [] };
  private readonly loadMetrics: { reloads: client.Counter<string>; successful: client.Gauge<string>; successAt: client.Gauge<string> };
  /** The reload under way: the next reload and the shutdown wait for it. */
  private reloading: Promise<unknown> = Promise.resolve();

  constructor(config: ServiceConfig, options: ServiceOptions) {
    this.logger = options.logger;
    this.telemetry = options.telemetry ?? new Telemetry();
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.current = { graph: new ComponentGraph(config), running: new Map(), sharedProcessors: new Map() };
    // Named as Prometheus names its own (prometheus_config_last_reload_successful); the Collector has none.
    const reloads = this.telemetry.counter('sluice_config_reloads_total', 'Configuration reloads (SIGHUP or --watch), by result.', ['result']);
    for (const result of ['success', 'failure']) reloads.inc({ result }, 0);
    this.loadMetrics = {
      reloads,
      successful: this.telemetry.gauge('sluice_config_last_reload_successful', 'Whether the last configuration load (at start or reload) succeeded.'),
      successAt: this.telemetry.gauge('sluice_config_last_reload_success_timestamp_seconds', 'When the configuration was last loaded successfully.'),
    };
  }

  private get config(): ServiceConfig {
    return this.current.graph.config;
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

  lastReload(): ReloadStatus {
    return this.loadStatus;
  }

  /** The port of our own metrics endpoint, once started (for tests and logs). */
  metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /** A started receiver instance, by id (tests use it to learn bound ports). */
  receiver(id: string): Receiver | undefined {
    return this.current.running.get(nodeKey.receiver(id))?.lifecycle;
  }

  async start(): Promise<void> {
    const { service } = this.config;
    try {
      if (service.telemetry.metrics.address) {
        this.metricsServer = await startMetricsServer(this.telemetry, service.telemetry.metrics.address, this.logger);
      }
      for (const id of service.extensions) await this.startExtension(this.config.extensions.get(id)!);
      await this.build(this.current);
      const failed = await this.startReceivers(this.current, new Set());
      if (failed.length > 0) throw failed[0]!;
    } catch (err) {
      this.logger.error({ err }, 'start failed; shutting down what was started');
      await this.shutdown();
      throw err;
    }
    this.phase = 'running';
    this.recordLoad(true, []);
    this.logger.info({ pipelines: service.pipelines.map((p) => p.id) }, 'everything is ready; begin running and processing data');
  }

  /**
   * Applies a new configuration. When only processors that take a config in place changed
   * (`reload`, as the alerting rules), they do, keeping their state. Otherwise the new graph is
   * built and started beside the running one, reusing the receivers, exporters and extensions that
   * did not change; the kept receivers are pointed at it at once, and the old graph's other nodes
   * stop as at shutdown: receivers first, pipelines close so processors flush, connectors flush,
   * exporters drain until service.shutdown_timeout. Receivers that changed or are new start once the
   * old ones stopped (they may share an endpoint), so those refuse connections for that moment.
   * If the new graph fails to start, what it started is stopped and the old graph runs on.
   */
  reload(next: ServiceConfig): Promise<ReloadResult> {
    const done = this.reloading.then(() => this.applyReload(next));
    this.reloading = done.catch(() => undefined);
    return done;
  }

  /** Records a configuration that did not validate (the caller has logged its errors); the running graph is untouched. */
  rejectConfig(errors: string[]): void {
    this.recordLoad(false, errors);
    this.loadMetrics.reloads.inc({ result: 'failure' });
  }

  private async applyReload(requested: ServiceConfig): Promise<ReloadResult> {
    const result: ReloadResult = { successful: false, kept: [], rebuilt: [], started: [], stopped: [], reloaded: [], needsRestart: [], errors: [] };
    if (this.phase !== 'running') {
      result.errors.push(`the service is ${this.phase}`);
      return this.finishReload(result);
    }
    const next = this.effectiveConfig(requested, result.needsRestart);
    const old = this.current;
    let graph: ComponentGraph;
    try {
      graph = new ComponentGraph(next);
    } catch (err) {
      result.errors.push(message(err));
      return this.finishReload(result);
    }
    if (this.reloadInPlace(old, graph, result)) return this.finishReload(result);
    const reusable = this.reusable(old.graph, graph);
    const run: Run = { graph, running: new Map(), sharedProcessors: new Map() };
    const statusesBefore = new Map(this.statuses);
    const added = next.service.extensions.filter((id) => !this.extensions.some((e) => e.id === id));
    try {
      for (const id of added) await this.startExtension(next.extensions.get(id)!);
      await this.build(run, old, reusable.nodes);
    } catch (err) {
      result.errors.push(message(err));
      await this.rollBack(run, reusable.nodes, added, statusesBefore);
      return this.finishReload(result);
    }
    // One synchronous step, so each request goes wholly to the old graph or wholly to the new one.
    for (const r of run.running.values()) {
      if (!r.inputs || !reusable.nodes.has(r.node.key)) continue;
      for (const [signal, target] of r.targets!) r.inputs.get(signal)!.switchTo(target);
    }
    this.current = run;
    for (const r of old.running.values()) if (r.voice && !reusable.nodes.has(r.node.key)) r.voice.retired = true;
    const draining = this.stopGraph(old, this.scheduler.now() + next.service.shutdownTimeoutMs, reusable.nodes);
    await draining.receivers;
    for (const err of await this.startReceivers(run, reusable.nodes)) result.errors.push(message(err));
    await draining.done;
    const removed = this.extensions.filter((e) => !next.service.extensions.includes(e.id));
    for (const e of removed.reverse()) {
      e.voice.retired = true;
      await this.stopComponent(e.id, 'extension', e.instance, this.scheduler.now() + next.service.shutdownTimeoutMs, e.voice);
      this.extensions.splice(this.extensions.indexOf(e), 1);
    }
    this.forgetStatusesOfRemoved();
    this.describeChanges(old.graph, run.graph, reusable, removed, result);
    return this.finishReload(result);
  }

  /**
   * `requested` with what only a restart applies as it runs now: service.telemetry (the metrics
   * endpoint was bound at start) and extensions whose config changed (their replacement would need
   * their resources, a port or a storage directory, while the old graph still uses them). The
   * running graph's config is then always what actually runs.
   */
  private effectiveConfig(requested: ServiceConfig, needsRestart: string[]): ServiceConfig {
    const extensions = new Map(requested.extensions);
    for (const e of this.extensions) {
      const wanted = requested.extensions.get(e.id);
      if (!wanted || !requested.service.extensions.includes(e.id) || (wanted.type === e.config.type && sameConfig(wanted.config, e.config.config))) continue;
      extensions.set(e.id, e.config);
      needsRestart.push(`extensions.${e.id}`);
    }
    const running = this.config.service.telemetry;
    if (!sameConfig(running, requested.service.telemetry)) needsRestart.push('service.telemetry');
    return { ...requested, extensions, service: { ...requested.service, telemetry: running } };
  }

  /**
   * True when the change is applied without a new graph: the pipelines and every receiver, exporter,
   * connector and extension are as they were, and each processor that changed took its new config
   * (`reload`). A processor that refuses means a rebuild, which discards whatever the others took.
   */
  private reloadInPlace(old: Run, graph: ComponentGraph, result: ReloadResult): boolean {
    const before = old.graph.config;
    const after = graph.config;
    if (!sameConfig(before.service.pipelines, after.service.pipelines) || !sameConfig(before.service.extensions, after.service.extensions)) return false;
    const changed = new Map<string, ComponentConfig>();
    for (const node of graph.nodes.values()) {
      const oldNode = old.graph.nodes.get(node.key);
      if (!oldNode) return false;
      const was = oldNode.component;
      const now = node.component;
      if (!was || !now || (was.type === now.type && sameConfig(was.config, now.config))) continue;
      if (node.kind !== 'processor' || was.type !== now.type) return false;
      changed.set(now.id, now);
    }
    for (const id of this.extensions.map((e) => e.id)) {
      const was = before.extensions.get(id)!;
      const now = after.extensions.get(id)!;
      if (was.type !== now.type || !sameConfig(was.config, now.config)) return false;
    }
    for (const [id, cc] of changed) {
      if (!this.processorInstances(old, id).every((p) => p.reload?.(cc.config) === true)) return false;
      result.reloaded.push(`processors.${id}`);
    }
    const names = new Set([...graph.nodes.values()].flatMap((n) => (n.component ? [`${SECTION[n.component.kind]}.${n.id}`] : [])));
    for (const e of this.extensions) names.add(`extensions.${e.id}`);
    result.kept.push(...[...names].filter((name) => !result.reloaded.includes(name)));
    this.current = { graph, running: new Map([...old.running].map(([key, r]) => [key, { ...r, node: graph.node(key) }])), sharedProcessors: old.sharedProcessors };
    return true;
  }

  /**
   * The graph diff's reusable nodes, less exporters whose queue batching (taken from the batch
   * processors upstream, batch-handoff.ts) changed: it is fixed when the exporter is created.
   */
  private reusable(before: ComponentGraph, after: ComponentGraph): Reusable {
    const { nodes, extensions } = reusableComponents(before, after);
    const sameBatching = (key: string) => after.node(key).kind !== 'exporter' || sameConfig(queueBatchFor(before.node(key), before), queueBatchFor(after.node(key), after));
    return { nodes: new Set([...nodes].filter(sameBatching)), extensions };
  }

  /** Undoes a new graph that failed to start: its own nodes and the extensions started for it stop; the old graph was never touched. */
  private async rollBack(run: Run, reused: ReadonlySet<string>, added: string[], statusesBefore: Map<string, ComponentStatus>): Promise<void> {
    this.logger.error('the new configuration failed to start; stopping what it started, still running the previous one');
    for (const r of run.running.values()) if (r.voice && !reused.has(r.node.key)) r.voice.retired = true;
    const deadline = this.scheduler.now() + this.config.service.shutdownTimeoutMs;
    await this.stopGraph(run, deadline, reused).done;
    for (const id of [...added].reverse()) {
      const e = this.extensions.find((x) => x.id === id);
      if (!e) continue;
      e.voice.retired = true;
      await this.stopComponent(e.id, 'extension', e.instance, deadline, e.voice);
      this.extensions.splice(this.extensions.indexOf(e), 1);
    }
    this.statuses.clear();
    for (const [key, status] of statusesBefore) this.statuses.set(key, status);
  }

  private finishReload(result: ReloadResult): ReloadResult {
    result.successful = result.errors.length === 0;
    this.recordLoad(result.successful, result.errors);
    this.loadMetrics.reloads.inc({ result: result.successful ? 'success' : 'failure' });
    const fields = { kept: result.kept, rebuilt: result.rebuilt, started: result.started, stopped: result.stopped, reloaded: result.reloaded, needs_restart: result.needsRestart };
    if (!result.successful) this.logger.error({ ...fields, errors: result.errors }, 'configuration reload failed');
    else if (result.needsRestart.length > 0) this.logger.warn(fields, `configuration reloaded; ${result.needsRestart.join(', ')} changed and take${result.needsRestart.length === 1 ? 's' : ''} effect only at the next restart`);
    else this.logger.info(fields, 'configuration reloaded');
    return result;
  }

  private recordLoad(successful: boolean, errors: string[]): void {
    const now = Date.now();
    this.loadStatus = { successful, at: now, lastSuccessAt: successful ? now : this.loadStatus.lastSuccessAt, errors };
    this.loadMetrics.successful.set(successful ? 1 : 0);
    if (successful) this.loadMetrics.successAt.set(now / 1000);
  }

  /** Statuses of components that are in neither the running graph nor the extensions any more. */
  private forgetStatusesOfRemoved(): void {
    const present = new Set(this.extensions.map((e) => `extension:${e.id}`));
    for (const r of this.current.running.values()) if (r.kind) present.add(`${r.kind}:${r.node.id}`);
    for (const key of [...this.statuses.keys()]) if (!present.has(key)) this.statuses.delete(key);
  }

  private describeChanges(before: ComponentGraph, after: ComponentGraph, reused: Reusable, removed: RunningExtension[], result: ReloadResult): void {
    const byComponent = (graph: ComponentGraph) => {
      const ids = new Map<string, GraphNode[]>();
      for (const node of graph.nodes.values()) {
        if (!node.component) continue;
        const name = `${SECTION[node.component.kind]}.${node.id}`;
        ids.set(name, [...(ids.get(name) ?? []), node]);
      }
      return ids;
    };
    const was = byComponent(before);
    const now = byComponent(after);
    for (const [name, nodes] of now) {
      if (!was.has(name)) result.started.push(name);
      else if (nodes.every((n) => reused.nodes.has(n.key))) result.kept.push(name);
      else result.rebuilt.push(name);
    }
    for (const name of was.keys()) if (!now.has(name)) result.stopped.push(name);
    for (const e of this.extensions) (reused.extensions.has(e.id) ? result.kept : result.started).push(`extensions.${e.id}`);
    for (const e of removed) result.stopped.push(`extensions.${e.id}`);
  }

  private processorInstances(run: Run, id: string): Processor[] {
    const instances = new Set<Processor>();
    for (const r of run.running.values()) if (r.processor && r.node.id === id) instances.add(r.processor);
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
    // A reload under way finishes first (its old graph drains within its own deadline), so what stops here is one graph.
    await this.reloading;
    const deadline = this.scheduler.now() + this.config.service.shutdownTimeoutMs;
    this.logger.info({ timeout_ms: this.config.service.shutdownTimeoutMs }, 'shutdown: receivers stop accepting');
    await this.stopGraph(this.current, deadline, new Set()).done;
    for (const e of [...this.extensions].reverse()) await this.stopComponent(e.id, 'extension', e.instance, deadline, e.voice);
    await this.metricsServer?.close();
    this.phase = 'stopped';
    this.logger.info('shutdown complete');
  }

  /**
   * Stops a graph's nodes but those in `keep`, each once everything upstream of it has stopped, so
   * what it flushes is still taken downstream. Receivers only need to have stopped accepting: a
   * request in flight is answered once the pipelines behind it flush, so waiting for receivers to
   * finish first would stall. `receivers` resolves once the receivers stopped.
   */
  private stopGraph(run: Run, deadline: number, keep: ReadonlySet<string>): { receivers: Promise<void>; done: Promise<void> } {
    const stopped = new Map<string, Promise<void>>();
    const stop = (node: GraphNode): Promise<void> => {
      let done = stopped.get(node.key);
      if (!done) {
        const upstream = run.graph.upstream(node.key).filter((u) => u.kind !== 'receiver');
        done = Promise.all(upstream.map(stop)).then(() => (keep.has(node.key) ? undefined : this.stopNode(run, node, deadline)));
        stopped.set(node.key, done);
      }
      return done;
    };
    // In data order, so receivers begin to stop first.
    const nodes = run.graph.order.filter((n) => run.running.has(n.key));
    const done = Promise.all(nodes.map(stop)).then(() => undefined);
    const receivers = Promise.all(nodes.filter((n) => n.kind === 'receiver').map(stop)).then(() => undefined);
    return { receivers, done };
  }

  private async stopNode(run: Run, node: GraphNode, deadline: number): Promise<void> {
    const running = run.running.get(node.key);
    if (!running) return;
    if (running.pipeline) {
      await running.pipeline.close();
      running.pipeline.dispose();
      return;
    }
    if (!running.lifecycle || !running.kind) return;
    if (node.kind === 'processor') {
      // The pipeline's close has already completed the operator; a shared instance stops with the last pipeline using it.
      const shared = run.sharedProcessors.get(node.id);
      if (shared && --shared.nodes > 0) return;
    }
    await this.stopComponent(node.id, running.kind, running.lifecycle, deadline, running.voice);
  }

  private async stopComponent(id: string, kind: ComponentKind, instance: Lifecycle, deadline: number, voice: Voice | undefined): Promise<void> {
    if (this.lifecycleDone.get(instance) === 'stopped') return;
    this.lifecycleDone.set(instance, 'stopped');
    const report = (status: ComponentStatus['status'], error?: string) => voice?.retired || this.reportStatus(id, kind, status, error);
    report('stopping');
    try {
      await instance.shutdown(deadline);
      report('stopped');
    } catch (err) {
      report('permanent_error', String(err));
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
      throw new Error(`${kind} ${id} failed to start: ${message(err)}`, { cause: err });
    }
    this.reportStatus(id, kind, 'ok');
  }

  private async startExtension(cc: ComponentConfig<'extension'>): Promise<void> {
    const voice = { retired: false };
    const instance = cc.factory.create(this.settings(cc, voice), cc.config, this);
    await this.startComponent(cc.id, 'extension', instance);
    this.extensions.push({ id: cc.id, config: cc, instance, voice });
  }

  /** Starts a graph's receivers but the kept ones (already running); returns the failures, each receiver tried. */
  private async startReceivers(run: Run, kept: ReadonlySet<string>): Promise<unknown[]> {
    const failed: unknown[] = [];
    for (const r of run.running.values()) {
      if (r.node.kind !== 'receiver' || kept.has(r.node.key)) continue;
      try {
        await this.startComponent(r.node.id, 'receiver', r.lifecycle!);
      } catch (err) {
        this.logger.error({ err, component: r.node.id }, 'receiver failed to start');
        failed.push(err);
      }
    }
    return failed;
  }

  private settings(cc: ComponentConfig, voice: Voice): CreateSettings {
    return {
      id: cc.id,
      kind: cc.kind,
      logger: componentLogger(this.logger, cc.kind, cc.id),
      telemetry: this.telemetry,
      scheduler: this.scheduler,
      reportStatus: (status, error) => voice.retired || this.reportStatus(cc.id, cc.kind, status, error),
      extension: (id) => this.extensions.find((e) => e.id === id)?.instance,
    };
  }

  /**
   * Creates and starts what runs for each node of `run`, downstream first, taking the nodes in
   * `reuse` over from `from` as they run. Receivers are created, not started: that is left to the
   * caller, once nothing else listens on their endpoints.
   */
  private async build(run: Run, from?: Run, reuse: ReadonlySet<string> = new Set()): Promise<void> {
    for (const node of [...run.graph.order].reverse()) {
      const kept = reuse.has(node.key) ? from?.running.get(node.key) : undefined;
      const running = kept ? { ...kept, node, targets: kept.inputs && this.receiverTargets(run, node) } : this.create(run, node);
      run.running.set(node.key, running);
      if (!kept && node.kind !== 'receiver' && running.lifecycle && running.kind) await this.startComponent(node.id, running.kind, running.lifecycle);
      running.pipeline?.start();
    }
  }

  /** Creates what runs for a node; everything downstream of it already exists. */
  private create(run: Run, node: GraphNode): Running {
    const voice = { retired: false };
    switch (node.kind) {
      case 'exporter': {
        const cc = node.component;
        const instance = cc.factory.create({ ...this.settings(cc, voice), queueBatch: queueBatchFor(node, run.graph) }, cc.config, node.signal);
        return { node, lifecycle: instance, consumer: instance, kind: 'exporter', voice };
      }
      case 'connector': {
        const cc = node.component;
        const pipelines = new Map<string, Consumer>(run.graph.downstream(node.key).map((p) => [p.id, this.consumerOf(run, p)]));
        const targets = { all: fanOut([...pipelines.values()]), pipelines };
        const instance = cc.factory.create(this.settings(cc, voice), cc.config, node.signal, node.to, targets);
        return { node, lifecycle: instance, consumer: instance, kind: 'connector', voice };
      }
      case 'fanout':
        return { node, consumer: fanOut(run.graph.downstream(node.key).map((n) => this.consumerOf(run, n))) };
      case 'processor': {
        const processor = this.processor(run, node, voice);
        return { node, lifecycle: processor, processor, kind: 'processor', voice };
      }
      case 'pipeline': {
        const p = node.pipeline;
        const processors = p.processors.map((id, i) => this.processorAt(run, nodeKey.processor(p.id, i, id)));
        const mutates = p.processors.some((id) => run.graph.config.processors.get(id)?.factory.mutates === true);
        const next = this.consumerOf(run, run.graph.node(nodeKey.fanout(p.id)));
        const pipeline = new Pipeline(p.id, p.signal, processors, mutates, next, componentLogger(this.logger, 'pipeline', p.id));
        return { node, consumer: pipeline, pipeline };
      }
      case 'receiver': {
        const cc = node.component;
        const targets = this.receiverTargets(run, node);
        const inputs = new Map([...targets].map(([signal, target]) => [signal, new SwitchableConsumer(target)]));
        const instance = cc.factory.create(this.settings(cc, voice), cc.config, Object.fromEntries(inputs));
        return { node, lifecycle: instance, kind: 'receiver', inputs, targets, voice };
      }
    }
  }

  /** Per signal, the pipeline entries of `run` a receiver node feeds. */
  private receiverTargets(run: Run, node: GraphNode): Map<Signal, Consumer> {
    const bySignal = new Map<Signal, Consumer[]>();
    for (const entry of run.graph.downstream(node.key)) bySignal.set(entry.signal!, [...(bySignal.get(entry.signal!) ?? []), this.consumerOf(run, entry)]);
    return new Map([...bySignal].map(([signal, consumers]) => [signal, fanOut(consumers)]));
  }

  private processor(run: Run, node: ProcessorNode, voice: Voice): Processor {
    const cc = node.component;
    const factory = cc.factory;
    const signal = node.signal;
    const settings = { ...this.settings(cc, voice), exportersAnswerAtEnqueue: exportersAnswerAtEnqueue(node, run.graph, (n) => run.running.get(n.key)?.lifecycle) };
    if (!factory.shared) return factory.create(settings, cc.config, signal);
    let shared = run.sharedProcessors.get(cc.id);
    if (!shared) run.sharedProcessors.set(cc.id, (shared = { instance: factory.create(settings, cc.config, signal), nodes: 0 }));
    shared.nodes++;
    return shared.instance;
  }

  private processorAt(run: Run, key: string): Processor {
    const processor = run.running.get(key)?.processor;
    if (!processor) throw new Error(`${key} is used before it was built`);
    return processor;
  }

  private consumerOf(run: Run, node: GraphNode): Consumer {
    const consumer = run.running.get(node.key)?.consumer;
    if (!consumer) throw new Error(`${node.key} is consumed before it was built`);
    return consumer;
  }
}
