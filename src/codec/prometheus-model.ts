// How OTLP metrics become Prometheus series: which kind, which name, which labels, which buckets.
// Shared by the scrape endpoint and remote write, so both expose a metric identically.
import type { ExponentialHistogramDataPoint, InstrumentationScope, KeyValue, Metric } from '../pdata/types.js';
import { int64ToNumber } from '../pdata/time.js';
import { jobAndInstance, prometheusLabelName, prometheusLabels, prometheusMetricName, type PrometheusKind } from './prometheus-names.js';

export type Labels = [string, string][];

export interface LabelerOptions {
  namespace?: string;
  addSuffixes: boolean;
  constLabels: Record<string, string>;
  /** Every resource attribute as a label instead of a target_info series. */
  resourceToTelemetry: boolean;
}

/** Resource attributes that become job/instance rather than target_info labels. */
const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);

export class PrometheusLabeler {
  readonly targetInfoName: string;

  constructor(private readonly options: LabelerOptions) {
    this.targetInfoName = options.namespace ? `${prometheusMetricName(options.namespace, undefined, 'gauge', { addSuffixes: false })}_target_info` : 'target_info';
  }

  metricName(m: Metric, kind: PrometheusKind): string {
    return prometheusMetricName(m.name ?? '', m.unit, kind, { namespace: this.options.namespace, addSuffixes: this.options.addSuffixes });
  }

  /** Labels every series of a resource and scope carries: job, instance, constant labels, scope, and resource attributes when converted. */
  baseLabels(resource: readonly KeyValue[], scope: InstrumentationScope | undefined): Labels {
    const out: Labels = [];
    const { job, instance } = jobAndInstance(resource);
    if (job !== undefined) out.push(['job', job]);
    if (instance !== undefined) out.push(['instance', instance]);
    if (this.options.resourceToTelemetry) out.push(...prometheusLabels(resource.filter((kv) => !IDENTIFYING.has(kv.key))));
    for (const [k, v] of Object.entries(this.options.constLabels)) out.push([prometheusLabelName(k), v]);
    if (scope?.name) out.push(['otel_scope_name', scope.name]);
    if (scope?.version) out.push(['otel_scope_version', scope.version]);
    return out;
  }

  /** A point's labels: its attributes over the base labels, sorted by name. */
  seriesLabels(base: Labels, attributes: readonly KeyValue[] | undefined): Labels {
    const map = new Map(base);
    for (const [k, v] of prometheusLabels(attributes)) map.set(k, v);
    return [...map].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  }

  /** The target_info labels of a resource, or undefined when it has nothing beyond job and instance (or resources are converted). */
  targetInfoLabels(resource: readonly KeyValue[]): Labels | undefined {
    if (this.options.resourceToTelemetry) return undefined;
    const rest = resource.filter((kv) => !IDENTIFYING.has(kv.key));
    if (rest.length === 0) return undefined;
    const { job, instance } = jobAndInstance(resource);
    const base: Labels = [];
    if (job !== undefined) base.push(['job', job]);
    if (instance !== undefined) base.push(['instance', instance]);
    for (const [k, v] of Object.entries(this.options.constLabels)) base.push([prometheusLabelName(k), v]);
    return this.seriesLabels(base, rest);
  }
}

/** The Prometheus kind of an OTLP metric: only monotonic sums are counters. */
export function prometheusKind(m: Metric): PrometheusKind | undefined {
  if (m.gauge) return 'gauge';
  if (m.sum) return m.sum.isMonotonic ? 'counter' : 'gauge';
  if (m.histogram || m.exponentialHistogram) return 'histogram';
  if (m.summary) return 'summary';
  return undefined;
}

/**
 * Classic buckets from an exponential histogram: upper bounds ascending and per-bucket counts.
 * The last bucket is the `+Inf` one, so there is one bound fewer than counts.
 */
export function exponentialToExplicit(p: ExponentialHistogramDataPoint): { bounds: number[]; counts: number[] } {
  const base = 2 ** (2 ** -(p.scale ?? 0));
  const bounds: number[] = [];
  const counts: number[] = [];
  const neg = p.negative?.bucketCounts ?? [];
  const negOffset = p.negative?.offset ?? 0;
  // Negative bucket i holds (-base^(offset+i+1), -base^(offset+i)]: largest magnitudes come first.
  for (let i = neg.length - 1; i >= 0; i--) {
    bounds.push(-(base ** (negOffset + i)));
    counts.push(int64ToNumber(neg[i]));
  }
  bounds.push(p.zeroThreshold ?? 0);
  counts.push(int64ToNumber(p.zeroCount));
  const pos = p.positive?.bucketCounts ?? [];
  const posOffset = p.positive?.offset ?? 0;
  for (let i = 0; i < pos.length; i++) {
    bounds.push(base ** (posOffset + i + 1));
    counts.push(int64ToNumber(pos[i]));
  }
  // Everything ends up at or below +Inf, so the largest finite bound is implied by it.
  bounds.pop();
  return { bounds, counts };
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = littleEndian ? 1 : 0;
const LO = littleEndian ? 0 : 1;

function fromBits(hi: number, lo: number): number {
  words[HI] = hi;
  words[LO] = lo;
  return bits[0]!;
}

/**
 * The NaN Prometheus writes when a series disappears (bits 0x7ff0000000000002). It is a signalling
 * NaN: V8 quiets it when stored in a plain number[] (packed double elements), so keep it in
 * Float64Arrays, object fields or variables.
 */
export const STALE_NAN: number = fromBits(0x7ff00000, 0x00000002);

/** Whether `v` is the staleness marker; NaN never equals itself, so the bits are compared. */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  bits[0] = v;
  return words[HI] === 0x7ff00000 && words[LO] === 0x00000002;
}
