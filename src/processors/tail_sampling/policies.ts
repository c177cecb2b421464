// Tail-sampling policies: each looks at a whole trace and decides. The names, keys and decision
// values are the Collector's, so a policy list carries over unchanged.
import type { AnyValue, KeyValue, Resource, Span } from '../../pdata/types.js';
import { int64ToBigInt } from '../../pdata/time.js';

export type Decision = 'Sampled' | 'NotSampled' | 'InvertSampled' | 'InvertNotSampled' | 'Dropped';

export interface TraceSpan {
  resource: Resource | undefined;
  span: Span;
}

export interface Trace {
  spans: TraceSpan[];
  traceId: Uint8Array;
}

export interface Policy {
  name: string;
  evaluate(trace: Trace, nowMs: number): Decision;
}

/** A policy as written in the config (validated by the factory's schema). */
export interface PolicyConfig {
  name: string;
  type: string;
  latency?: { threshold_ms: number; upper_threshold_ms: number };
  status_code?: { status_codes: string[] };
  string_attribute?: { key: string; values: string[]; enabled_regex_matching: boolean; invert_match: boolean };
  numeric_attribute?: { key: string; min_value?: number; max_value?: number; invert_match: boolean };
  boolean_attribute?: { key: string; value: boolean; invert_match: boolean };
  probabilistic?: { hash_salt: string; sampling_percentage: number };
  rate_limiting?: { spans_per_second: number };
  span_count?: { min_spans: number; max_spans: number };
  trace_state?: { key: string; values: string[] };
  and?: { and_sub_policy: PolicyConfig[] };
  drop?: { drop_sub_policy: PolicyConfig[] };
  composite?: { max_total_spans_per_second: number; policy_order: string[]; composite_sub_policy: PolicyConfig[]; rate_allocation: { policy: string; percent: number }[] };
}

const STATUS: Record<string, number> = { UNSET: 0, OK: 1, ERROR: 2 };

/** Span attributes first, then the resource's: either may carry the key. */
function valuesOf(trace: Trace, key: string): AnyValue[] {
  const out: AnyValue[] = [];
  const find = (attrs: readonly KeyValue[] | undefined) => {
    const kv = attrs?.find((a) => a.key === key);
    if (kv?.value) out.push(kv.value);
  };
  for (const { span, resource } of trace.spans) {
    find(span.attributes);
    find(resource?.attributes);
  }
  return out;
}

function numberOf(v: AnyValue): number | undefined {
  if (v.intValue != null) return Number(int64ToBigInt(v.intValue));
  if (v.doubleValue != null) return v.doubleValue;
  return undefined;
}

/** Inverted policies answer with the invert decisions, which the final rule weighs differently. */
const match = (hit: boolean, invert: boolean): Decision => (invert ? (hit ? 'InvertNotSampled' : 'InvertSampled') : hit ? 'Sampled' : 'NotSampled');

/** Keeps a per-second budget on the caller's clock. */
class SpanBudget {
  private second = -1;
  private used = 0;

  constructor(private readonly perSecond: number) {}

  take(spans: number, nowMs: number): boolean {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.second = second;
      this.used = 0;
    }
    if (this.used + spans > this.perSecond) return false;
    this.used += spans;
    return true;
  }
}

function fnv1a64(salt: string, bytes: Uint8Array): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const b of [...Buffer.from(salt), ...bytes]) hash = ((hash ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash;
}

export function buildPolicy(config: PolicyConfig): Policy {
  const name = config.name;
  const evaluate = build(config);
  return { name, evaluate };
}

function build(c: PolicyConfig): Policy['evaluate'] {
  switch (c.type) {
    case 'always_sample':
      return () => 'Sampled';
    case 'latency': {
      const { threshold_ms, upper_threshold_ms } = c.latency!;
      return (trace) => {
        let start = BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n;
        let end = 0n;
        for (const { span } of trace.spans) {
          const s = int64ToBigInt(span.startTimeUnixNano);
          const e = int64ToBigInt(span.endTimeUnixNano);
          if (s < start) start = s;
          if (e > end) end = e;
        }
        const ms = Number(end - start) / 1e6;
        return ms >= threshold_ms && (upper_threshold_ms === 0 || ms <= upper_threshold_ms) ? 'Sampled' : 'NotSampled';
      };
    }
    case 'status_code': {
      const codes = new Set(c.status_code!.status_codes.map((code) => STATUS[code]));
      return (trace) => (trace.spans.some(({ span }) => codes.has(span.status?.code ?? 0)) ? 'Sampled' : 'NotSampled');
    }
    case 'string_attribute': {
      const { key, values, enabled_regex_matching, invert_match } = c.string_attribute!;
      const test = enabled_regex_matching ? ((res) => (v: string) => res.some((re) => re.test(v)))(values.map((v) => new RegExp(v))) : ((set) => (v: string) => set.has(v))(new Set(values));
      return (trace) => match(valuesOf(trace, key).some((v) => v.stringValue != null && test(v.stringValue)), invert_match);
    }
    case 'numeric_attribute': {
      const { key, min_value, max_value, invert_match } = c.numeric_attribute!;
      return (trace) =>
        match(
          valuesOf(trace, key).some((v) => {
            const n = numberOf(v);
            return n !== undefined && (min_value === undefined || n >= min_value) && (max_value === undefined || n <= max_value);
          }),
          invert_match,
        );
    }
    case 'boolean_attribute': {
      const { key, value, invert_match } = c.boolean_attribute!;
      return (trace) => match(valuesOf(trace, key).some((v) => v.boolValue === value), invert_match);
    }
    case 'probabilistic': {
      const { hash_salt, sampling_percentage } = c.probabilistic!;
      const threshold = BigInt(Math.floor((sampling_percentage / 100) * 2 ** 53)) << 11n;
      return (trace) => (fnv1a64(hash_salt, trace.traceId) < threshold || sampling_percentage >= 100 ? 'Sampled' : 'NotSampled');
    }
    case 'rate_limiting': {
      const budget = new SpanBudget(c.rate_limiting!.spans_per_second);
      return (trace, nowMs) => (budget.take(trace.spans.length, nowMs) ? 'Sampled' : 'NotSampled');
    }
    case 'span_count': {
      const { min_spans, max_spans } = c.span_count!;
      return (trace) => (trace.spans.length >= min_spans && (max_spans === 0 || trace.spans.length <= max_spans) ? 'Sampled' : 'NotSampled');
    }
    case 'trace_state': {
      const { key, values } = c.trace_state!;
      const wanted = new Set(values.map((v) => `${key}=${v}`));
      return (trace) => (trace.spans.some(({ span }) => (span.traceState ?? '').split(',').some((e) => wanted.has(e.trim()))) ? 'Sampled' : 'NotSampled');
    }
    case 'and': {
      const subs = c.and!.and_sub_policy.map(build);
      return (trace, now) => (subs.every((p) => p(trace, now) === 'Sampled') ? 'Sampled' : 'NotSampled');
    }
    case 'drop': {
      const subs = c.drop!.drop_sub_policy.map(build);
      return (trace, now) => (subs.every((p) => p(trace, now) === 'Sampled') ? 'Dropped' : 'NotSampled');
    }
    case 'composite': {
      const { max_total_spans_per_second, policy_order, composite_sub_policy, rate_allocation } = c.composite!;
      const byName = new Map(composite_sub_policy.map((p) => [p.name, p]));
      const share = new Map(rate_allocation.map((a) => [a.policy, a.percent]));
      const ordered = policy_order.map((n) => byName.get(n)!).filter(Boolean);
      const subs = ordered.map((p) => ({
        evaluate: build(p),
        // A sub-policy without an allocation shares what the others leave, as in the Collector.
        budget: new SpanBudget(Math.floor((max_total_spans_per_second * (share.get(p.name) ?? Math.max(0, 100 - [...share.values()].reduce((a, b) => a + b, 0)))) / 100)),
      }));
      return (trace, now) => {
        for (const sub of subs) {
          const d = sub.evaluate(trace, now);
          if ((d === 'Sampled' || d === 'InvertSampled') && sub.budget.take(trace.spans.length, now)) return 'Sampled';
        }
        return 'NotSampled';
      };
    }
    default:
      throw new Error(`unknown policy type "${c.type}"`);
  }
}

/**
 * The Collector's final rule over all policies' decisions: a drop wins; then an inverted match
 * that says "not sampled"; then any "sampled"; then an inverted "sampled" unless some policy said
 * "not sampled"; otherwise not sampled.
 */
export function finalDecision(decisions: Decision[]): boolean {
  if (decisions.includes('Dropped')) return false;
  if (decisions.includes('InvertNotSampled')) return false;
  if (decisions.includes('Sampled')) return true;
  return decisions.includes('InvertSampled') && !decisions.includes('NotSampled');
}
