// Holding traces until they can be judged. Spans enter a bounded map keyed by trace id (the
// request that brought them is acknowledged then: held data counts as accepted once it sits in
// the bounded buffer). Every tick, traces older than decision_wait are decided; at num_traces the
// oldest is decided early, as is a trace at max_spans_per_trace. Kept traces leave as new requests,
// one per request context their spans came with; late spans of decided traces follow the cached
// decision. At shutdown everything still held is decided.
import type { OperatorFunction } from 'rxjs';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import { contextKey, type Envelope, type EnvelopeContext } from '../../pipeline/envelope.js';
import { processorOperator, type ProcessorOutput } from '../../pipeline/processor-helper.js';

type Output = ProcessorOutput<'traces'>;
import type { ResourceSpans, Resource, InstrumentationScope, Span, TracesData } from '../../pdata/types.js';
import { idToHex } from '../../pdata/ids.js';
import { buildPolicy, finalDecision, type Policy, type PolicyConfig, type Trace, type TraceSpan } from './policies.js';
import type { TailSamplingConfig } from './config.js';

/** A span as held: where it came from (its request's context), to be sent on under it. */
type HeldSpan = TraceSpan & { scope: InstrumentationScope | undefined; context: EnvelopeContext };

interface Held extends Trace {
  arrivedMs: number;
  spans: HeldSpan[];
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
  readonly operator: OperatorFunction<Envelope, Envelope>;
  private readonly traces = new Map<string, Held>();
  private readonly policies: Policy[];
  private readonly sampledCache: DecisionCache;
  private readonly notSampledCache: DecisionCache;
  private readonly metrics: {
    policy: (policy: string, sampled: boolean) => void;
    global: (sampled: boolean) => void;
    early: () => void;
    full: () => void;
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
    const t = settings.telemetry;
    const processor = settings.id;
    const perPolicy = t.counter('otelcol_processor_tail_sampling_count_traces_sampled', 'Count of traces that were sampled or not per sampling policy', ['processor', 'policy', 'sampled']);
    const global = t.counter('otelcol_processor_tail_sampling_global_count_traces_sampled', 'Global count of traces that were sampled or not by at least one policy', ['processor', 'sampled']);
    const early = t.counter('otelcol_processor_tail_sampling_sampling_trace_dropped_too_early', 'Count of traces decided before decision_wait because num_traces was reached', ['processor']);
    const full = t.counter('sluice_processor_tail_sampling_traces_decided_at_span_limit', 'Traces decided before decision_wait because they reached max_spans_per_trace', ['processor']);
    const late = t.counter('otelcol_processor_tail_sampling_late_spans', 'Spans that arrived after their trace was decided, by the decision they followed', ['processor', 'sampled']);
    const latency = t.histogram('otelcol_processor_tail_sampling_sampling_decision_latency', 'Latency (ms) of each sampling decision', ['processor'], [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]);
    t.callbackGauge('otelcol_processor_tail_sampling_sampling_traces_on_memory', 'Tracked traces', { processor }, () => this.traces.size);
    this.metrics = {
      policy: (policy, sampled) => perPolicy.inc({ processor, policy, sampled: String(sampled) }),
      global: (sampled) => global.inc({ processor, sampled: String(sampled) }),
      early: () => early.inc({ processor }),
      full: () => full.inc({ processor }),
      late: (sampled, n) => late.inc({ processor, sampled: String(sampled) }, n),
      latency: (ms) => latency.observe({ processor }, ms),
    };
    const tickMs = Math.min(1000, config.decision_wait);
    this.operator = processorOperator(settings, 'traces', {
      // Held spans count as accepted once they sit in the bounded map, so the request is acknowledged then.
      process: ({ data, context }, out) => {
        this.hold(data, context, out);
        return undefined;
      },
      open: (out) => {
        const timer = out.every(tickMs, () => this.decideDue(out));
        return () => timer.unsubscribe();
      },
      flush: (out) => this.decide([...this.traces.values()], out),
    });
  }

  private hold(data: TracesData, context: EnvelopeContext, out: Output): void {
    const now = this.settings.scheduler.now();
    const lateKept: HeldSpan[] = [];
    let lateDropped = 0;
    for (const rs of data.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          const id = idToHex(span.traceId);
          const entry = { resource: rs.resource, scope: ss.scope, span, context };
          const held = this.traces.get(id);
          if (held) {
            held.spans.push(entry);
            if (held.spans.length >= this.config.max_spans_per_trace) {
              this.metrics.full();
              this.decide([held], out);
            }
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
            this.decide([oldest], out);
          }
          this.traces.set(id, { traceId: span.traceId ?? new Uint8Array(16), arrivedMs: now, spans: [entry] });
        }
      }
    }
    if (lateKept.length) {
      this.metrics.late(true, lateKept.length);
      this.send(lateKept, out);
    }
    if (lateDropped) this.metrics.late(false, lateDropped);
  }

  private decideDue(out: Output): void {
    const cutoff = this.settings.scheduler.now() - this.config.decision_wait;
    const due: Held[] = [];
    // Insertion order is arrival order: stop at the first trace still waiting.
    for (const trace of this.traces.values()) {
      if (trace.arrivedMs > cutoff) break;
      due.push(trace);
    }
    this.decide(due, out);
  }

  private decide(traces: Held[], out: Output): void {
    if (traces.length === 0) return;
    const now = this.settings.scheduler.now();
    const kept: HeldSpan[] = [];
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
    if (kept.length) this.send(kept, out);
  }

  /** Kept spans leave as one request per request context, regrouped under their resources and scopes. */
  private send(spans: HeldSpan[], out: Output): void {
    const byContext = new Map<string, { context: EnvelopeContext; resources: Map<Resource | undefined, Map<InstrumentationScope | undefined, Span[]>> }>();
    for (const { resource, scope, span, context } of spans) {
      const id = contextKey(context);
      let group = byContext.get(id);
      if (!group) byContext.set(id, (group = { context, resources: new Map() }));
      const scopes = group.resources.get(resource) ?? new Map<InstrumentationScope | undefined, Span[]>();
      const list = scopes.get(scope) ?? [];
      list.push(span);
      scopes.set(scope, list);
      group.resources.set(resource, scopes);
    }
    for (const { context, resources } of byContext.values()) {
      const data: TracesData = {
        resourceSpans: [...resources].map(([resource, scopes]): ResourceSpans => ({ resource, scopeSpans: [...scopes].map(([scope, list]) => ({ scope, spans: list })) })),
      };
      out.emit(data, context);
    }
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
