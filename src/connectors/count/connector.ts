// The counting: one delta sum per counter and resource, a data point per combination of the
// counter's attribute values. The metrics envelope carries the input's settlement, so the input
// is acknowledged when its counts are.
import type { Connector, Consumer, CreateSettings } from '../../pipeline/component.js';
import { createEnvelope, type Envelope } from '../../pipeline/envelope.js';
import { deliver } from '../../pipeline/fanout.js';
import { payloadOf, type InstrumentationScope, type KeyValue, type Metric, type Resource, type ResourceMetrics, type Signal, type SignalPayload } from '../../pdata/types.js';
import { anyValueToString, findAttribute } from '../../pdata/attributes.js';
import { nowUnixNano } from '../../pdata/time.js';
import { compileCondition, type Condition, type OttlItem } from '../../ottl/condition.js';
import type { CountConnectorConfig, CounterConfig, CountedKind } from './config.js';

/** The Collector's counters when none are configured for a kind. */
const DEFAULTS: Record<CountedKind, [string, string]> = {
  spans: ['trace.span.count', 'The number of spans observed.'],
  spanevents: ['trace.span.event.count', 'The number of span events observed.'],
  metrics: ['metric.count', 'The number of metrics observed.'],
  datapoints: ['metric.datapoint.count', 'The number of data points observed.'],
  logs: ['log.record.count', 'The number of log records observed.'],
};

const KINDS_OF: Record<Signal, CountedKind[]> = { traces: ['spans', 'spanevents'], metrics: ['metrics', 'datapoints'], logs: ['logs'] };

interface Counter {
  kind: CountedKind;
  name: string;
  description: string;
  conditions: Condition[];
  attributes: { key: string; default_value?: string }[];
}

/** What one counted item offers to conditions and attribute lookups. */
interface Item extends OttlItem {
  attributes?: readonly KeyValue[];
}

export class CountConnector implements Connector {
  readonly mutates = false;
  private readonly counters: Counter[];

  constructor(
    _settings: CreateSettings,
    config: CountConnectorConfig,
    signal: Signal,
    private readonly next: Consumer,
  ) {
    this.counters = KINDS_OF[signal].flatMap((kind) => {
      const configured: Record<string, CounterConfig> | undefined = config[kind];
      const entries: [string, CounterConfig][] = configured && Object.keys(configured).length ? Object.entries(configured) : [[DEFAULTS[kind][0], { description: undefined, conditions: [], attributes: [] }]];
      return entries.map(([name, c]) => ({
        kind,
        name,
        description: c.description ?? (name === DEFAULTS[kind][0] ? DEFAULTS[kind][1] : ''),
        conditions: c.conditions.map((source) => compileCondition(source, kind === 'spans' ? 'span' : 'log')),
        attributes: c.attributes,
      }));
    });
  }

  consume(envelope: Envelope): void {
    const resources = this.count(payloadOf(envelope.signal, envelope.data));
    if (resources.length === 0) {
      envelope.ack();
      return;
    }
    deliver(this.next, createEnvelope('metrics', { resourceMetrics: resources }, envelope.context, envelope));
  }

  /** Per resource: counter → attribute-values key → [attributes, count]. */
  private count(payload: SignalPayload): ResourceMetrics[] {
    const out: ResourceMetrics[] = [];
    const time = nowUnixNano();
    for (const { resource, items } of itemsOf(payload)) {
      const sums = new Map<Counter, Map<string, { attrs: KeyValue[]; n: number }>>();
      for (const { kind, item } of items) {
        for (const counter of this.counters) {
          if (counter.kind !== kind) continue;
          if (counter.conditions.length && !counter.conditions.some((c) => c(item))) continue;
          const attrs = this.attributesFor(counter, item, resource);
          if (!attrs) continue;
          const key = attrs.map((a) => `${a.key}\u0000${a.value?.stringValue}`).join('\u0001');
          const points = sums.get(counter) ?? new Map<string, { attrs: KeyValue[]; n: number }>();
          const point = points.get(key) ?? { attrs, n: 0 };
          point.n++;
          points.set(key, point);
          sums.set(counter, points);
        }
      }
      if (sums.size === 0) continue;
      const metrics: Metric[] = [...sums].map(([counter, points]) => ({
        name: counter.name,
        description: counter.description,
        sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints: [...points.values()].map((p) => ({ attributes: p.attrs, timeUnixNano: time, asInt: p.n, exemplars: [] })) },
      }));
      out.push({ resource: { attributes: [...(resource?.attributes ?? [])] }, scopeMetrics: [{ scope: { name: 'sluice/connector/count', attributes: [] }, metrics }] });
    }
    return out;
  }

  /** The counter's attributes from the item, then its resource, then the default; undefined when one is missing. */
  private attributesFor(counter: Counter, item: Item, resource: Resource | undefined): KeyValue[] | undefined {
    const attrs: KeyValue[] = [];
    for (const { key, default_value } of counter.attributes) {
      const value = findAttribute(item.attributes as KeyValue[] | undefined, key) ?? findAttribute(resource?.attributes, key);
      const text = value ? anyValueToString(value) : default_value;
      if (text === undefined) return undefined;
      attrs.push({ key, value: { stringValue: text } });
    }
    return attrs;
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

/** The countable items of a request, per resource, each with the kind it counts as. */
function itemsOf(p: SignalPayload): { resource: Resource | undefined; items: { kind: CountedKind; item: Item }[] }[] {
  if (p.signal === 'traces') {
    return (p.data.resourceSpans ?? []).map((rs) => ({
      resource: rs.resource,
      items: (rs.scopeSpans ?? []).flatMap((ss) =>
        (ss.spans ?? []).flatMap((span) => [
          { kind: 'spans' as const, item: { resource: rs.resource, scope: ss.scope, span, attributes: span.attributes } },
          ...(span.events ?? []).map((event) => ({ kind: 'spanevents' as const, item: { resource: rs.resource, scope: ss.scope, attributes: event.attributes } })),
        ]),
      ),
    }));
  }
  if (p.signal === 'logs') {
    return (p.data.resourceLogs ?? []).map((rl) => ({
      resource: rl.resource,
      items: (rl.scopeLogs ?? []).flatMap((sl) => (sl.logRecords ?? []).map((log) => ({ kind: 'logs' as const, item: { resource: rl.resource, scope: sl.scope as InstrumentationScope | undefined, log, attributes: log.attributes } }))),
    }));
  }
  return (p.data.resourceMetrics ?? []).map((rm) => ({
    resource: rm.resource,
    items: (rm.scopeMetrics ?? []).flatMap((sm) =>
      (sm.metrics ?? []).flatMap((metric) => {
        const points = (metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary)?.dataPoints ?? [];
        return [
          { kind: 'metrics' as const, item: { resource: rm.resource, scope: sm.scope } },
          ...points.map((p) => ({ kind: 'datapoints' as const, item: { resource: rm.resource, scope: sm.scope, attributes: p.attributes } })),
        ];
      }),
    ),
  }));
}
