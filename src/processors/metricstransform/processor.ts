// Applying the transforms in order to each request's metrics. Label operations run on every data
// point; the aggregating ones then merge points whose labels became equal: numbers by the
// aggregation type, histograms bucket by bucket (sum only; points with other bounds than the
// first are dropped and counted).
import type { OperatorFunction } from 'rxjs';
import Long from 'long';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import type { Envelope } from '../../pipeline/envelope.js';
import { processorOperator } from '../../pipeline/processor-helper.js';
import type { HistogramDataPoint, KeyValue, Metric, NumberDataPoint } from '../../pdata/types.js';
import { anyValueToString } from '../../pdata/attributes.js';
import { attributesKey } from '../../pdata/resource.js';
import { int64ToBigInt } from '../../pdata/time.js';
import { deepClone } from '../../pdata/clone.js';
import type { ProcessorTelemetry } from '../../telemetry/telemetry.js';
import { goRegExp, type AGGREGATIONS, type MetricsTransformConfig, type OperationConfig, type TransformConfig } from './config.js';

type Aggregation = (typeof AGGREGATIONS)[number];
type Point = NumberDataPoint | HistogramDataPoint;

const big = (v: Long | number | undefined) => int64ToBigInt(v);
const long = (v: bigint) => Long.fromString(v.toString(), true);

function pointsOf(m: Metric): Point[] | undefined {
  return (m.gauge ?? m.sum ?? m.histogram)?.dataPoints;
}

function setPoints(m: Metric, points: Point[]): void {
  const body = (m.gauge ?? m.sum ?? m.histogram) as { dataPoints: Point[] };
  body.dataPoints = points;
}

const numberOf = (p: NumberDataPoint) => p.asDouble ?? Number(big(p.asInt));

function aggregateNumbers(points: NumberDataPoint[], how: Aggregation): NumberDataPoint {
  const values = points.map(numberOf);
  const out: NumberDataPoint = { ...points[points.length - 1]!, exemplars: [] };
  let value: number;
  switch (how) {
    case 'sum':
      value = values.reduce((a, b) => a + b, 0);
      break;
    case 'mean':
      value = values.reduce((a, b) => a + b, 0) / values.length;
      break;
    case 'min':
      value = Math.min(...values);
      break;
    case 'max':
      value = Math.max(...values);
      break;
    case 'count':
      value = values.length;
      break;
    case 'median': {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      value = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      break;
    }
  }
  const integral = points.every((p) => p.asDouble == null) && Number.isInteger(value);
  if (integral) {
    out.asInt = Long.fromNumber(value);
    delete out.asDouble;
  } else {
    out.asDouble = value;
    delete out.asInt;
  }
  out.startTimeUnixNano = points.reduce((a, p) => (big(p.startTimeUnixNano) < big(a) ? p.startTimeUnixNano : a), points[0]!.startTimeUnixNano);
  return out;
}

export class MetricsTransformProcessor implements Processor {
  readonly operator: OperatorFunction<Envelope, Envelope>;
  private readonly transforms: { config: TransformConfig; match: (name: string) => RegExpExecArray | boolean | null }[];
  private readonly telemetry: ProcessorTelemetry;

  constructor(settings: CreateSettings, config: MetricsTransformConfig) {
    this.telemetry = settings.telemetry.processor(settings.id);
    this.transforms = config.transforms.map((t) => {
      const re = t.match_type === 'regexp' ? goRegExp(t.include) : undefined;
      return { config: t, match: (name: string) => (re ? re.exec(name) : name === t.include) };
    });
    this.operator = processorOperator(settings, 'metrics', {
      process: ({ data }) => {
        for (const rm of data.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) sm.metrics = this.apply(sm.metrics ?? []);
        return data;
      },
    });
  }

  private apply(metrics: Metric[]): Metric[] {
    for (const { config, match } of this.transforms) {
      if (config.action === 'combine') {
        metrics = this.combine(metrics, config, match);
        continue;
      }
      const out: Metric[] = [];
      for (const metric of metrics) {
        const m = match(metric.name ?? '');
        if (!m) {
          out.push(metric);
          continue;
        }
        const target = config.action === 'insert' ? deepClone(metric) : metric;
        if (config.action === 'insert') out.push(metric);
        if (config.new_name) target.name = m instanceof Array ? rename(config, m) : config.new_name;
        for (const op of config.operations) this.operate(target, op);
        out.push(target);
      }
      metrics = out;
    }
    return metrics;
  }

  /** Matching metrics of one type become `new_name`; the regexp's named groups become labels. */
  private combine(metrics: Metric[], config: TransformConfig, match: (name: string) => RegExpExecArray | boolean | null): Metric[] {
    const rest: Metric[] = [];
    let combined: Metric | undefined;
    for (const metric of metrics) {
      const m = match(metric.name ?? '');
      const points = pointsOf(metric);
      if (!(m instanceof Array) || !points || (combined && !sameType(combined, metric))) {
        rest.push(metric);
        continue;
      }
      const labels: KeyValue[] = Object.entries(m.groups ?? {}).map(([key, value]) => ({ key, value: { stringValue: caseOf(config, value ?? '') } }));
      for (const p of points) p.attributes = [...p.attributes.filter((kv) => !labels.some((l) => l.key === kv.key)), ...labels];
      if (!combined) {
        combined = { ...metric, name: config.new_name };
        continue;
      }
      setPoints(combined, [...pointsOf(combined)!, ...points]);
    }
    if (!combined) return metrics;
    if (config.aggregation_type) this.aggregate(combined, config.aggregation_type, (attrs) => attrs);
    for (const op of config.operations) this.operate(combined, op);
    return [...rest, combined];
  }

  private operate(metric: Metric, op: OperationConfig): void {
    const points = pointsOf(metric);
    if (!points) return;
    switch (op.action) {
      case 'add_label':
        for (const p of points) if (!p.attributes.some((kv) => kv.key === op.new_label)) p.attributes = [...p.attributes, { key: op.new_label!, value: { stringValue: op.new_value! } }];
        return;
      case 'update_label': {
        const renames = new Map(op.value_actions.map((v) => [v.value, v.new_value]));
        for (const p of points) {
          p.attributes = p.attributes.map((kv) => {
            if (kv.key !== op.label) return kv;
            const value = renames.get(anyValueToString(kv.value));
            return { key: op.new_label ?? kv.key, value: value !== undefined ? { stringValue: value } : kv.value };
          });
        }
        return;
      }
      case 'delete_label_value':
        setPoints(metric, points.filter((p) => !p.attributes.some((kv) => kv.key === op.label && anyValueToString(kv.value) === op.label_value)));
        return;
      case 'aggregate_labels':
        this.aggregate(metric, op.aggregation_type!, (attrs) => attrs.filter((kv) => op.label_set.includes(kv.key)));
        return;
      case 'aggregate_label_values': {
        const folded = new Set(op.aggregated_values);
        this.aggregate(metric, op.aggregation_type!, (attrs) =>
          attrs.map((kv) => (kv.key === op.label && folded.has(anyValueToString(kv.value)) ? { key: kv.key, value: { stringValue: op.new_value! } } : kv)),
        );
        return;
      }
    }
  }

  /** Rewrites each point's labels with `relabel`, then merges the points that now share labels. */
  private aggregate(metric: Metric, how: Aggregation, relabel: (attrs: KeyValue[]) => KeyValue[]): void {
    const points = pointsOf(metric)!;
    const groups = new Map<string, Point[]>();
    for (const p of points) {
      p.attributes = relabel(p.attributes);
      const key = attributesKey(p.attributes);
      const list = groups.get(key) ?? [];
      list.push(p);
      groups.set(key, list);
    }
    const merged: Point[] = [];
    for (const list of groups.values()) {
      if (list.length === 1) merged.push(list[0]!);
      else if (metric.histogram) merged.push(this.mergeHistograms(list as HistogramDataPoint[]));
      else merged.push(aggregateNumbers(list as NumberDataPoint[], how));
    }
    setPoints(metric, merged);
  }

  private mergeHistograms(points: HistogramDataPoint[]): HistogramDataPoint {
    const [first] = points;
    const same = points.filter((p) => p.explicitBounds.length === first!.explicitBounds.length && p.explicitBounds.every((b, i) => b === first!.explicitBounds[i]));
    if (same.length < points.length) this.telemetry.dropped('metrics', points.length - same.length);
    return same.reduce((a, p) => ({
      ...p,
      startTimeUnixNano: big(a.startTimeUnixNano) < big(p.startTimeUnixNano) ? a.startTimeUnixNano : p.startTimeUnixNano,
      count: long(big(a.count) + big(p.count)),
      sum: (a.sum ?? 0) + (p.sum ?? 0),
      bucketCounts: a.bucketCounts.map((c, i) => long(big(c) + big(p.bucketCounts[i]))),
      min: a.min == null ? p.min : p.min == null ? a.min : Math.min(a.min, p.min),
      max: a.max == null ? p.max : p.max == null ? a.max : Math.max(a.max, p.max),
      exemplars: [],
    }));
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

function sameType(a: Metric, b: Metric): boolean {
  return Boolean(a.gauge) === Boolean(b.gauge) && Boolean(a.sum) === Boolean(b.sum) && Boolean(a.histogram) === Boolean(b.histogram);
}

function caseOf(config: TransformConfig, value: string): string {
  return config.submatch_case === 'lower' ? value.toLowerCase() : config.submatch_case === 'upper' ? value.toUpperCase() : value;
}

/** new_name with `$1`-style references to the include regexp's groups. */
function rename(config: TransformConfig, m: RegExpExecArray): string {
  return config.new_name!.replace(/\$\{?(\w+)\}?/g, (whole, ref: string) => {
    const value = /^\d+$/.test(ref) ? m[Number(ref)] : m.groups?.[ref];
    return value === undefined ? whole : caseOf(config, value);
  });
}
