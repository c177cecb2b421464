// The processor helper: the one place that derives and settles envelopes for processors. A
// processor supplies what it does to data; the helper runs it on the stream, counts items in and
// out, carries the request context into whatever the processor releases later, and turns a throw
// into a refusal of that one request, so a processor bug answers one client with an error instead
// of ending the pipeline (or the process).
import { Observable, type OperatorFunction, type SchedulerAction, type Subscriber, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import { countItems } from '../pdata/count.js';
import type { Signal, SignalData } from '../pdata/types.js';
import type { ProcessorTelemetry } from '../telemetry/telemetry.js';
import type { CreateSettings, Processor } from './component.js';
import { createEnvelope, type Envelope, type EnvelopeContext, type Settler } from './envelope.js';
import { PermanentError, RetryableError } from './errors.js';

/** How often a processor that keeps failing logs it; every failure is counted. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/** One request as a processor sees it. */
export interface Incoming<S extends Signal> {
  readonly data: SignalData[S];
  readonly context: EnvelopeContext;
  readonly items: number;
  readonly bytes: number;
  /** The request's OTLP encoding as received, while its data is unchanged (see Envelope.otlp); for a processor that may send the request on whole. */
  readonly otlp?: Uint8Array;
  /**
   * Takes over settling this request: for a processor that merges requests and answers them when
   * its output is answered (batch). Without it, the request is settled by what `process` returns.
   */
  hold(): Settler;
}

/** Where a processor sends what it releases on its own (a timer, a flush, a merge). */
export interface ProcessorOutput<S extends Signal> {
  /**
   * Sends data downstream with the context it came from. With a settler, the downstream outcome
   * settles it (the held requests); without one, the data stands alone (its sources were
   * acknowledged when they were held), and a refusal is counted as dropped and logged.
   */
  emit(data: SignalData[S], context: EnvelopeContext, settler?: Settler, bytes?: number, items?: number, otlp?: Uint8Array): void;
  /** Runs `task` every `intervalMs` on the scheduler; a throw is contained and logged. */
  every(intervalMs: number, task: () => void): Subscription;
}

export interface ProcessorLogic<S extends Signal> {
  /**
   * One request. Returns the data that goes on with the request; `undefined` (or data with no items
   * left) means nothing goes on, and the request is acknowledged: dropped by design or held in the
   * processor's bounded state. A RetryableError or PermanentError thrown is a deliberate refusal,
   * counted as refused and passed to the sender as is; anything else thrown is a processor failure.
   */
  process(input: Incoming<S>, out: ProcessorOutput<S>): SignalData[S] | undefined;
  /** A pipeline subscribed: start what runs on its own (timers). Returns how to stop it. */
  open?(out: ProcessorOutput<S>): (() => void) | void;
  /** The pipeline completed: release everything held through `out`. */
  flush?(out: ProcessorOutput<S>): void;
  /** The subscription ended without completing (disposed): whatever is held cannot be sent. */
  abandon?(): void;
}

/** Lifecycle hooks a processor adds to what the helper provides. */
export type ProcessorLifecycle = Partial<Pick<Processor, 'start' | 'shutdown' | 'reload'>>;

/** A stateless processor: returns the data to pass on (the same object or a new one), or undefined to drop it all. */
export type ProcessFunction<S extends Signal> = (data: SignalData[S], context: EnvelopeContext) => SignalData[S] | undefined;

export function statelessProcessor<S extends Signal>(settings: CreateSettings, signal: S, process: ProcessFunction<S>, lifecycle: ProcessorLifecycle = {}): Processor {
  return createProcessor(settings, signal, { process: (input) => process(input.data, input.context) }, lifecycle);
}

/**
 * The operator of a stateless processor that serves pipelines of every signal with one instance
 * (memory_limiter): it only passes on, drops or refuses what it is given, so it needs no signal of its own.
 */
export function anySignalOperator(settings: CreateSettings, process: ProcessFunction<Signal>): OperatorFunction<Envelope, Envelope> {
  const runtime = new ProcessorRuntime<Signal>(settings, undefined, { process: (input) => process(input.data, input.context) }, true);
  return (source) => runtime.operate(source);
}

export function createProcessor<S extends Signal>(settings: CreateSettings, signal: S, logic: ProcessorLogic<S>, lifecycle: ProcessorLifecycle = {}): Processor {
  return {
    operator: processorOperator(settings, signal, logic),
    start: lifecycle.start ?? (async () => {}),
    shutdown: lifecycle.shutdown ?? (async () => {}),
    ...(lifecycle.reload ? { reload: lifecycle.reload } : {}),
  };
}

/** The operator alone, for a processor class that keeps its own lifecycle (timers, APIs, reload). */
export function processorOperator<S extends Signal>(settings: CreateSettings, signal: S, logic: ProcessorLogic<S>): OperatorFunction<Envelope, Envelope> {
  const runtime = new ProcessorRuntime(settings, signal, logic);
  // The pipeline carries envelopes of its own signal only, which is the signal this processor was created for.
  return (source) => runtime.operate(source as Observable<Envelope<S>>) as Observable<Envelope>;
}

class ProcessorRuntime<S extends Signal> {
  private readonly logger: Logger;
  private readonly telemetry: ProcessorTelemetry;
  private lastFailureLog = -Infinity;
  private unloggedFailures = 0;

  constructor(
    private readonly settings: CreateSettings,
    /** What emitted data is; undefined for an any-signal processor, which only passes on what it gets. */
    private readonly signal: S | undefined,
    private readonly logic: ProcessorLogic<S>,
    /** The processor passes on the data it is given untouched (or nothing), so a request it returns keeps its received encoding. */
    private readonly leavesDataAsIs = false,
  ) {
    this.logger = settings.logger;
    this.telemetry = settings.telemetry.processor(settings.id);
  }

  operate(source: Observable<Envelope<S>>): Observable<Envelope<S>> {
    return new Observable<Envelope<S>>((subscriber) => {
      const out = this.output(subscriber);
      const close = this.guard('open', () => this.logic.open?.(out));
      let completed = false;
      const subscription = source.subscribe({
        next: (envelope) => this.handle(envelope, out, subscriber),
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          completed = true;
          close?.();
          this.guard('flush', () => this.logic.flush?.(out));
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        if (completed) return;
        close?.();
        this.guard('abandon', () => this.logic.abandon?.());
      };
    });
  }

  private handle(envelope: Envelope<S>, out: ProcessorOutput<S>, subscriber: Subscriber<Envelope<S>>): void {
    const signal = envelope.signal;
    this.telemetry.incoming(signal, envelope.items);
    let held = false;
    const input: Incoming<S> = {
      data: envelope.data,
      context: envelope.context,
      items: envelope.items,
      bytes: envelope.bytes,
      otlp: envelope.otlp,
      hold: () => {
        held = true;
        return envelope;
      },
    };
    let result: SignalData[S] | undefined;
    try {
      result = this.logic.process(input, out);
    } catch (err) {
      envelope.nack(this.refusal(err, signal, envelope.items));
      return;
    }
    if (held) return;
    const items = result === undefined ? 0 : countItems(signal, result);
    if (items === 0) {
      envelope.ack();
      return;
    }
    // Any other processor may have changed the data, in place or not.
    if (result !== envelope.data || !this.leavesDataAsIs) envelope.otlp = undefined;
    envelope.data = result!;
    envelope.items = items;
    this.telemetry.outgoing(signal, items);
    subscriber.next(envelope);
  }

  /** A deliberate refusal goes to the sender as it is; a bug becomes a permanent error naming the processor. */
  private refusal(err: unknown, signal: Signal, items: number): Error {
    if (err instanceof RetryableError || err instanceof PermanentError) {
      this.telemetry.refused(signal, items);
      return err;
    }
    this.telemetry.failed(signal, items);
    const message = err instanceof Error ? err.message : String(err);
    this.logFailure('process', signal, err);
    return new PermanentError(`processor ${this.settings.id} failed on this request: ${message}`);
  }

  private output(subscriber: Subscriber<Envelope<S>>): ProcessorOutput<S> {
    const scheduler = this.settings.scheduler;
    const guard = this.guard.bind(this);
    return {
      emit: (data, context, settler, bytes, items, otlp) => {
        const signal = this.signal;
        if (signal === undefined) throw new Error(`processor ${this.settings.id} serves every signal and cannot emit data of its own`);
        const n = items ?? countItems(signal, data);
        if (n === 0) {
          settler?.ack();
          return;
        }
        this.telemetry.outgoing(signal, n);
        subscriber.next(createEnvelope(signal, data, context, settler ?? this.standalone(signal, n), bytes ?? 0, n, otlp));
      },
      every: (intervalMs, task) =>
        scheduler.schedule(function (this: SchedulerAction<unknown>) {
          guard('timer', task);
          this.schedule(undefined, intervalMs);
        }, intervalMs),
    };
  }

  /** Settles data whose sources were acknowledged already: a refusal downstream loses it, so it is counted and logged. */
  private standalone(signal: S, items: number): Settler {
    return {
      ack: () => {},
      nack: (err) => {
        this.telemetry.dropped(signal, items);
        this.logger.warn({ items, signal, error: err.message }, 'data released by the processor was refused downstream; it is lost (its sources were already acknowledged)');
      },
    };
  }

  /** Runs a hook of the processor; a throw there is logged instead of breaking the stream. */
  private guard<T>(stage: string, run: () => T): T | undefined {
    try {
      return run();
    } catch (err) {
      this.logFailure(stage, this.signal, err);
      return undefined;
    }
  }

  /** Once per interval, however often the processor fails, with how many failures went unlogged. */
  private logFailure(stage: string, signal: Signal | undefined, err: unknown): void {
    const now = this.settings.scheduler.now();
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) {
      this.unloggedFailures++;
      return;
    }
    this.logger.error({ err, stage, signal, failures_since_last_log: this.unloggedFailures }, 'processor failed; the request was refused and the pipeline keeps serving');
    this.lastFailureLog = now;
    this.unloggedFailures = 0;
  }
}
