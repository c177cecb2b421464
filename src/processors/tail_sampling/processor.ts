// Holding traces until they can be judged. Spans enter a bounded map keyed by trace id (the
// request that brought them is acknowledged then: held data counts as accepted once it sits in
// the bounded buffer). Every tick, traces older than decision_wait are decided; at num_traces the
// oldest is decided early. Kept traces leave as new requests; late spans of decided traces follow
// the cached decision. At shutdown everything still held is decided.
import { Observable, type SchedulerAction } from 'rxjs';
import type { Logger } from 'pino';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import { createEnvelope, receiverContext, type Envelope } from '../../pipeline/envelope.js';
import type { ResourceSpans, Resource, InstrumentationScope, Span, TracesData } from '../../pdata/types.js';
import { idToHex } from '../../pdata/ids.js';
import { buildPolicy, finalDecision, type Policy, type PolicyConfig, type Trace, type TraceSpan } from './policies.js';
import type { TailSamplingConfig } from './factory.js';

interface Held extends Trace {
  arrivedMs: number;
  spans: (TraceSpan & { scope: InstrumentationScope | undefined })[];
}

/** A bounded insertion-ordered set: the oldest member leaves when a new one would overflow it. */
class DecisionCache {
  private readonly ids = new Set<string>();

  constructor(private readonly size: number) {}

  add(id: string): void {
    if (this.size === 0) return;
    this.ids.delete(id);
    if (this.ids.size >= this.size) this.ids.delete(this.ids.values().next().value!);
    this.ids.add(id);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}

export class TailSamplingProcessor implements Processor {
  private readonly traces = new Map<string, Held>();
  private readonly policies: Policy[];
  private readonly sampledCache: DecisionCache;
  private readonly notSampledCache: DecisionCache;
  private readonly logger: Logger;
  private readonly metrics: {
    policy: (policy: string, sampled: boolean) => void;
    global: (sampled: boolean) => void;
    early: () => void;
    late: (sampled: boolean, n: number) => void;
    latency: (ms: number) => void;
  };

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: TailSamplingConfig,
  ) {
    this.policies = config.policies.map((p) => buildPolicy(p as PolicyConfig));
    this.sampledCache = new DecisionCache(config.decision_cache.sampled_cache_size);
    this.notSampledCache = new DecisionCache(config.decision_cache.non_sampled_cache_size);
    this.logger = settings.logger;
    const t = settings.telemetry;
    const processor = settings.id;
    const perPolicy = t.counter('otelcol_processor_tail_sampling_count_traces_sampled', 'Count of traces that were sampled or not per sampling policy', ['processor', 'policy', 'sampled']);
    const global = t.counter('otelcol_processor_tail_sampling_global_count_traces_sampled', 'Global count of traces that were sampled or not by at least one policy', ['processor', 'sampled']);
    const early = t.counter('otelcol_processor_tail_sampling_sampling_trace_dropped_too_early', 'Count of traces decided before decision_wait because num_traces was reached', ['processor']);
    const late = t.counter('otelcol_processor_tail_sampling_late_spans', 'Spans that arrived after their trace was decided, by the decision they followed', ['processor', 'sampled']);
    const latency = t.histogram('otelcol_processor_tail_sampling_sampling_decision_latency', 'Latency (ms) of each sampling decision', ['processor'], [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]);
    t.callbackGauge('otelcol_processor_tail_sampling_sampling_traces_on_memory', 'Tracked traces', { processor }, () => this.traces.size);
    this.metrics = {
      policy: (policy, sampled) => perPolicy.inc({ processor, policy, sampled: String(sampled) }),
      global: (sampled) => global.inc({ processor, sampled: String(sampled) }),
      early: () => early.inc({ processor }),
      late: (sampled, n) => late.inc({ processor, sampled: String(sampled) }, n),
      latency: (ms) => latency.observe({ processor }, ms),
    };
  }

  readonly operator = (source: Observable<Envelope>): Observable<Envelope> =>
    new Observable<Envelope>((subscriber) => {
      const emit = (e: Envelope) => subscriber.next(e);
      const wait = this.config.decision_wait;
      const tickMs = Math.min(1000, wait);
      const tick = () => this.decideDue(emit);
      const timer = this.settings.scheduler.schedule(function (this: SchedulerAction<unknown>) {
        tick();
        this.schedule(undefined, tickMs);
      }, tickMs);
      const subscription = source.subscribe({
        next: (envelope) => {
          this.hold(envelope.data as TracesData, emit);
          envelope.ack();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          timer.unsubscribe();
          this.decide([...this.traces.values()], emit);
          subscriber.complete();
        },
      });
      return () => {
        timer.unsubscribe();
        subscription.unsubscribe();
      };
    });

  private hold(data: TracesData, emit: (e: Envelope) => void): void {
    const now = this.settings.scheduler.now();
    const lateKept: Held['spans'] = [];
    let lateDropped = 0;
    for (const rs of data.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          const id = idToHex(span.traceId);
          const entry = { resource: rs.resource, scope: ss.scope, span };
          const held = this.traces.get(id);
          if (held) {
            held.spans.push(entry);
            continue;
          }
          if (this.sampledCache.has(id)) {
            lateKept.push(entry);
            continue;
          }
          if (this.notSampledCache.has(id)) {
            lateDropped++;
            continue;
          }
          if (this.traces.size >= this.config.num_traces) {
            const oldest = this.traces.values().next().value!;
            this.metrics.early();
            this.decide([oldest], emit);
          }
          this.traces.set(id, { traceId: span.traceId ?? new Uint8Array(16), arrivedMs: now, spans: [entry] });
        }
      }
    }
    if (lateKept.length) {
      this.metrics.late(true, lateKept.length);
      this.send(lateKept, emit);
    }
    if (lateDropped) this.metrics.late(false, lateDropped);
  }

  private decideDue(emit: (e: Envelope) => void): void {
    const cutoff = this.settings.scheduler.now() - this.config.decision_wait;
    const due: Held[] = [];
    // Insertion order is arrival order: stop at the first trace still waiting.
    for (const trace of this.traces.values()) {
      if (trace.arrivedMs > cutoff) break;
      due.push(trace);
    }
    this.decide(due, emit);
  }

  private decide(traces: Held[], emit: (e: Envelope) => void): void {
    if (traces.length === 0) return;
    const now = this.settings.scheduler.now();
    const kept: Held['spans'] = [];
    for (const trace of traces) {
      const id = idToHex(trace.traceId);
      this.traces.delete(id);
      const started = performance.now();
      const decisions = this.policies.map((p) => {
        const d = p.evaluate(trace, now);
        this.metrics.policy(p.name, d === 'Sampled' || d === 'InvertSampled');
        return d;
      });
      const sampled = finalDecision(decisions);
      this.metrics.latency(performance.now() - started);
      this.metrics.global(sampled);
      if (sampled) {
        this.sampledCache.add(id);
        kept.push(...trace.spans);
      } else {
        this.notSampledCache.add(id);
      }
    }
    if (kept.length) this.send(kept, emit);
  }

  /** Kept spans leave as one request, regrouped under their resources and scopes. */
  private send(spans: Held['spans'], emit: (e: Envelope) => void): void {
    const resources = new Map<Resource | undefined, Map<InstrumentationScope | undefined, Span[]>>();
    for (const { resource, scope, span } of spans) {
      const scopes = resources.get(resource) ?? new Map<InstrumentationScope | undefined, Span[]>();
      const list = scopes.get(scope) ?? [];
      list.push(span);
      scopes.set(scope, list);
      resources.set(resource, scopes);
    }
    const data: TracesData = {
      resourceSpans: [...resources].map(([resource, scopes]): ResourceSpans => ({ resource, scopeSpans: [...scopes].map(([scope, list]) => ({ scope, spans: list })) })),
    };
    const envelope = createEnvelope('traces', data, receiverContext(this.settings.id), {
      ack: () => {},
      nack: (err) => this.logger.warn({ spans: envelope.items, error: err.message }, 'sampled traces were refused downstream; they are lost (their sources were already acknowledged)'),
    });
    emit(envelope);
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
