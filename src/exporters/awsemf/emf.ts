// OTLP metrics → CloudWatch Embedded Metric Format log events: one JSON object per resource,
// timestamp and attribute set, its `_aws.CloudWatchMetrics` directive naming the metrics (at most
// 100 per event) and the dimension sets CloudWatch should extract.
import type { KeyValue, MetricsData, NumberDataPoint } from '../../pdata/types.js';
import { AggregationTemporality } from '../../pdata/types.js';
import { anyValueToString, getStringAttribute } from '../../pdata/attributes.js';
import { int64ToNumber, int64ToString, int64ToMillis } from '../../pdata/time.js';
import { CumulativeToDelta } from '../../pdata/cumulative-delta.js';
import { cloudWatchUnit } from '../awscloudwatchmetrics/datums.js';

export type DimensionRollup = 'NoDimensionRollup' | 'SingleDimensionRollup' | 'ZeroAndSingleDimensionRollup';

export interface MetricDeclaration {
  dimensions: string[][];
  metric_name_selectors: string[];
}

export interface EmfOptions {
  namespace: string;
  rollup: DimensionRollup;
  declarations: MetricDeclaration[];
}

export interface EmfEvent {
  timestamp: number;
  message: string;
  /** service.name and friends, for log group/stream placeholders. */
  resource: readonly KeyValue[];
}

/** At most this many metrics in one EMF event (CloudWatch's limit). */
const MAX_METRICS_PER_EVENT = 100;

const OTEL_LIB = 'OTelLib';

interface Group {
  timestamp: number;
  resource: readonly KeyValue[];
  fields: Record<string, string>;
  metrics: { name: string; unit: string; value: unknown }[];
}

export class EmfTranslator {
  private readonly cumulative = new CumulativeToDelta(100_000);
  private readonly selectors: { dimensions: string[][]; patterns: RegExp[] }[];

  constructor(private readonly options: EmfOptions) {
    this.selectors = options.declarations.map((d) => ({ dimensions: d.dimensions, patterns: d.metric_name_selectors.map((p) => new RegExp(p)) }));
  }

  translate(data: MetricsData): { events: EmfEvent[]; skipped: number } {
    const groups = new Map<string, Group>();
    let skipped = 0;
    for (const rm of data.resourceMetrics ?? []) {
      const resource = rm.resource?.attributes ?? [];
      for (const sm of rm.scopeMetrics ?? []) {
        const lib = sm.scope?.name;
        for (const m of sm.metrics ?? []) {
          const name = m.name ?? '';
          const unit = cloudWatchUnit(m.unit);
          const add = (p: { attributes: KeyValue[]; timeUnixNano?: NumberDataPoint['timeUnixNano'] }, value: unknown) => {
            const fields: Record<string, string> = {};
            if (lib) fields[OTEL_LIB] = lib;
            for (const kv of p.attributes) fields[kv.key] = anyValueToString(kv.value);
            const timestamp = int64ToMillis(p.timeUnixNano);
            const key = `${timestamp}\u0000${JSON.stringify(Object.entries(fields).sort())}\u0000${JSON.stringify(resource.map((kv) => [kv.key, anyValueToString(kv.value)]))}`;
            let group = groups.get(key);
            if (!group) {
              group = { timestamp, resource, fields, metrics: [] };
              groups.set(key, group);
            }
            group.metrics.push({ name, unit, value });
          };
          if (m.gauge || (m.sum && !m.sum.isMonotonic)) {
            for (const p of (m.gauge ?? m.sum)!.dataPoints) add(p, numberValue(p));
          } else if (m.sum) {
            const cumulative = m.sum.aggregationTemporality !== AggregationTemporality.DELTA;
            for (const p of m.sum.dataPoints) {
              const value = cumulative ? this.cumulative.delta(name, p.attributes, int64ToString(p.startTimeUnixNano), numberValue(p)) : numberValue(p);
              if (value === undefined) skipped++;
              else add(p, value);
            }
          } else if (m.histogram) {
            const cumulative = m.histogram.aggregationTemporality !== AggregationTemporality.DELTA;
            for (const p of m.histogram.dataPoints) {
              const start = int64ToString(p.startTimeUnixNano);
              const count = cumulative ? this.cumulative.delta(`${name}|count`, p.attributes, start, int64ToNumber(p.count)) : int64ToNumber(p.count);
              const sum = cumulative ? this.cumulative.delta(`${name}|sum`, p.attributes, start, p.sum ?? 0) : (p.sum ?? 0);
              if (count === undefined || sum === undefined || count === 0) skipped++;
              else add(p, { Count: count, Sum: sum, Min: p.min ?? sum / count, Max: p.max ?? sum / count });
            }
          } else {
            skipped += (m.exponentialHistogram ?? m.summary)?.dataPoints.length ?? 0;
          }
        }
      }
    }
    const events: EmfEvent[] = [];
    for (const g of groups.values()) {
      for (let i = 0; i < g.metrics.length; i += MAX_METRICS_PER_EVENT) {
        const event = this.event(g, g.metrics.slice(i, i + MAX_METRICS_PER_EVENT));
        if (event) events.push(event);
      }
    }
    return { events, skipped };
  }

  private event(g: Group, metrics: Group['metrics']): EmfEvent | undefined {
    const directives: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] = [];
    const keys = Object.keys(g.fields).sort();
    if (this.selectors.length === 0) {
      directives.push({ Namespace: this.options.namespace, Dimensions: this.rollup(keys), Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })) });
    } else {
      // With declarations, only metrics a declaration selects are extracted, with its dimension sets.
      for (const sel of this.selectors) {
        const chosen = metrics.filter((m) => sel.patterns.some((re) => re.test(m.name)));
        const dims = sel.dimensions.filter((set) => set.every((d) => d in g.fields));
        if (chosen.length && dims.length) directives.push({ Namespace: this.options.namespace, Dimensions: dims, Metrics: chosen.map((m) => ({ Name: m.name, Unit: m.unit })) });
      }
      if (directives.length === 0) return undefined;
    }
    const body: Record<string, unknown> = { _aws: { Timestamp: g.timestamp, CloudWatchMetrics: directives }, ...g.fields };
    for (const m of metrics) body[m.name] = m.value;
    return { timestamp: g.timestamp, message: JSON.stringify(body), resource: g.resource };
  }

  /** The dimension sets of the Collector's dimension_rollup_option, always with the full set first. */
  private rollup(keys: string[]): string[][] {
    const sets: string[][] = [keys];
    const lib = keys.includes(OTEL_LIB) ? [OTEL_LIB] : [];
    const others = keys.filter((k) => k !== OTEL_LIB);
    if (this.options.rollup === 'ZeroAndSingleDimensionRollup' && others.length > 0) sets.push(lib);
    if (this.options.rollup !== 'NoDimensionRollup' && others.length > 1) for (const k of others) sets.push([...lib, k]);
    return sets;
  }
}

function numberValue(p: NumberDataPoint): number {
  return p.asDouble ?? int64ToNumber(p.asInt);
}

const PLACEHOLDERS: Record<string, string[]> = {
  ServiceName: ['service.name'],
  ServiceNamespace: ['service.namespace'],
  ClusterName: ['aws.ecs.cluster.name', 'k8s.cluster.name'],
  TaskId: ['aws.ecs.task.id'],
  TaskDefinitionFamily: ['aws.ecs.task.family'],
  PodName: ['k8s.pod.name'],
  NodeName: ['k8s.node.name'],
  ContainerInstanceId: ['aws.ecs.container.instance.id'],
};

/** `{ServiceName}`-style placeholders filled from resource attributes; unknown values become "undefined", as in the Collector. */
export function fillPlaceholders(template: string, resource: readonly KeyValue[]): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const keys = PLACEHOLDERS[name];
    if (!keys) return whole;
    for (const k of keys) {
      const v = getStringAttribute(resource, k);
      if (v) return v;
    }
    return 'undefined';
  });
}
