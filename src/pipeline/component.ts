// The component interfaces: what factories create and what the service wires together.
import type { OperatorFunction, SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { Signal } from '../pdata/types.js';
import type { Path, Schema } from '../config/schema.js';
import type { Envelope } from './envelope.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { QueueBatchConfig } from './queue-batch-config.js';

/** Takes an envelope synchronously and becomes responsible for settling it. */
export interface Consumer {
  consume(envelope: Envelope): void;
  /** True when this consumer changes the data it is given (then a fan-out hands it a clone). */
  readonly mutates: boolean;
}

export interface Lifecycle {
  start(): Promise<void>;
  /** Stops work. Processors flush in their operator's completion; exporters drain until `deadline` (in `scheduler.now()` time). */
  shutdown(deadline: number): Promise<void>;
}

export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'connector' | 'extension';

export interface CreateSettings {
  /** Component id as written in the config, e.g. `otlp/tempo`. */
  id: string;
  kind: ComponentKind;
  logger: Logger;
  telemetry: Telemetry;
  /** All time-based behaviour goes through this so tests can run on virtual time. */
  scheduler: SchedulerLike;
  /** Reports this component's health (e.g. an exporter whose backend refuses data) to health_check. */
  reportStatus(status: HealthStatus, error?: string): void;
  /** A started extension of service.extensions by id (an exporter's `sending_queue.storage`). */
  extension(id: string): Extension | undefined;
  /**
   * For an exporter without `sending_queue.batch`: the batching of the batch processor in the
   * pipelines feeding it, which its queue takes over (that processor then passes requests on as
   * they come, so clients are answered at enqueue rather than after a batch timeout).
   */
  queueBatch?: QueueBatchConfig;
  /** For a processor: every exporter its pipeline feeds answers at enqueue, so holding data only delays clients. */
  exportersAnswerAtEnqueue?: boolean;
}

/** What a running component can say of its own health, as the Collector's component status model. */
export type HealthStatus = 'ok' | 'recoverable_error' | 'permanent_error';

export type Receiver = Lifecycle;

export interface Processor extends Lifecycle {
  readonly operator: OperatorFunction<Envelope, Envelope>;
  /** Takes a changed config of the same id while running; false when only a restart can apply it. */
  reload?(config: unknown): boolean;
}

export interface Exporter extends Lifecycle, Consumer {
  /** Acks once the data is in its sending queue (no `wait_for_result`), not once exported. */
  readonly answersAtEnqueue: boolean;
}

export type Connector = Lifecycle & Consumer;

export interface ComponentStatus {
  id: string;
  kind: ComponentKind;
  status: 'starting' | 'ok' | 'recoverable_error' | 'permanent_error' | 'stopping' | 'stopped';
  error?: string;
  since: number;
}

/** What extensions see of the running service. */
export interface ServiceHost {
  readonly phase: 'starting' | 'running' | 'stopping' | 'stopped';
  componentStatuses(): ComponentStatus[];
  /** Lets a component report a change of health (e.g. an exporter whose backend is down). */
  reportStatus(id: string, kind: ComponentKind, status: ComponentStatus['status'], error?: string): void;
  /** How the last configuration load went (the first load at start, then each reload). */
  lastReload(): ReloadStatus;
}

export interface ReloadStatus {
  successful: boolean;
  /** When the last load was attempted (ms since the epoch). */
  at: number;
  /** When a load last succeeded. */
  lastSuccessAt: number;
  /** Why the last attempt failed: config errors with file:line, or the component that failed to start. */
  errors: string[];
}

export type Extension = Lifecycle;

interface FactoryBase<C> {
  type: string;
  schema: Schema<C>;
  /** One line for `sluice components`. */
  description: string;
}

export interface ReceiverFactory<C = unknown> extends FactoryBase<C> {
  kind: 'receiver';
  signals: readonly Signal[];
  /** One instance per receiver id, shared by every pipeline that lists it; `next` has a consumer per signal in use. */
  create(settings: CreateSettings, config: C, next: Partial<Record<Signal, Consumer>>): Receiver;
}

export interface ProcessorFactory<C = unknown> extends FactoryBase<C> {
  kind: 'processor';
  signals: readonly Signal[];
  /** Whether the processor changes data in place (decides cloning at fan-outs). */
  mutates: boolean;
  /** One instance per id shared by all pipelines (memory_limiter), instead of one per pipeline. */
  shared?: boolean;
  /** One instance per processor id per pipeline, as in the Collector, unless `shared`. */
  create<S extends Signal>(settings: CreateSettings, config: C, signal: S): Processor;
}

export interface ExporterFactory<C = unknown> extends FactoryBase<C> {
  kind: 'exporter';
  signals: readonly Signal[];
  /** One instance per exporter id per signal: each signal has its own queue. */
  create<S extends Signal>(settings: CreateSettings, config: C, signal: S): Exporter;
}

/** Where a connector hands data on: to all the pipelines it receives in, or to one of them by id. */
export interface ConnectorTargets {
  readonly all: Consumer;
  readonly pipelines: ReadonlyMap<string, Consumer>;
}

export interface ConnectorFactory<C = unknown> extends FactoryBase<C> {
  kind: 'connector';
  /** Supported [exporter-side signal, receiver-side signal] pairs. */
  pairs: readonly (readonly [Signal, Signal])[];
  /** `next` holds the pipelines of signal `to` that list this connector as a receiver. */
  create(settings: CreateSettings, config: C, from: Signal, to: Signal, next: ConnectorTargets): Connector;
  /** Pipeline ids the config names (a routing table), with their paths inside the component's config, so validation can check each receives from this connector. */
  namedPipelines?(config: C): { path: Path; pipeline: string }[];
}

export interface ExtensionFactory<C = unknown> extends FactoryBase<C> {
  kind: 'extension';
  create(settings: CreateSettings, config: C, host: ServiceHost): Extension;
}

/** The factory of each kind of component. */
export interface FactoryOfKind {
  receiver: ReceiverFactory;
  processor: ProcessorFactory;
  exporter: ExporterFactory;
  connector: ConnectorFactory;
  extension: ExtensionFactory;
}

export type Factory = FactoryOfKind[ComponentKind];
