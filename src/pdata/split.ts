// Splits an OTLP request at item granularity (spans, metric data points, log records) without
// touching the input: containers that fall wholly on one side are shared by reference, and only
// the resource, scope and metric on the cut get new (shallow) copies carrying a subset of children.
import { metricPointCount } from './count.js';
import type { Metric, Signal, SignalData } from './types.js';

/** One level of the request tree: how many items a node holds, and how to cut it in two. */
interface Level {
  count(node: object): number;
  /** Only called with 0 < n < count(node). */
  split(node: object, n: number): [object, object];
}

/** A copy that keeps the prototype, so proto3 defaults and protobufjs's oneof getters still read through. */
export function withField<T extends object>(node: T, key: string, value: unknown): T {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(node) as object) as T, node);
  (copy as Record<string, unknown>)[key] = value;
  return copy;
}

function childrenOf(node: object, key: string): object[] {
  return ((node as Record<string, unknown>)[key] as object[] | undefined) ?? [];
}

/** Cuts `list` after its first `n` items; zero-item nodes before the cut go with the head. */
function splitList(list: readonly object[], n: number, level: Level): [object[], object[]] {
  const head: object[] = [];
  let i = 0;
  for (; i < list.length && n > 0; i++) {
    const node = list[i]!;
    const c = level.count(node);
    if (c <= n) {
      head.push(node);
      n -= c;
      continue;
    }
    const [h, r] = level.split(node, n);
    head.push(h);
    return [head, [r, ...list.slice(i + 1)]];
  }
  return [head, list.slice(i)];
}

/** A node whose items are one per element of its `key` list (spans, log records). */
function leafList(key: string): Level {
  return {
    count: (node) => childrenOf(node, key).length,
    split: (node, n) => {
      const items = childrenOf(node, key);
      return [withField(node, key, items.slice(0, n)), withField(node, key, items.slice(n))];
    },
  };
}

/** A node whose items are those of the children in its `key` list. */
function nested(key: string, child: Level): Level {
  return {
    count: (node) => {
      let n = 0;
      for (const c of childrenOf(node, key)) n += child.count(c);
      return n;
    },
    split: (node, n) => {
      const [head, rest] = splitList(childrenOf(node, key), n, child);
      return [withField(node, key, head), withField(node, key, rest)];
    },
  };
}

const POINT_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

/** A metric is cut between data points; both halves keep its name, unit, temporality and metadata. */
const metricLevel: Level = {
  count: (node) => metricPointCount(node as Metric),
  split: (node, n) => {
    const metric = node as Metric;
    const kind = POINT_KINDS.find((k) => metric[k] != null)!;
    const body = metric[kind]! as { dataPoints: unknown[] };
    const points = body.dataPoints;
    return [
      withField(metric, kind, withField(body, 'dataPoints', points.slice(0, n))),
      withField(metric, kind, withField(body, 'dataPoints', points.slice(n))),
    ];
  },
};

interface Shape {
  /** The request's list of resource entries. */
  top: string;
  resource: Level;
}

const SHAPES: Record<Signal, Shape> = {
  traces: { top: 'resourceSpans', resource: nested('scopeSpans', leafList('spans')) },
  metrics: { top: 'resourceMetrics', resource: nested('scopeMetrics', nested('metrics', metricLevel)) },
  logs: { top: 'resourceLogs', resource: nested('scopeLogs', leafList('logRecords')) },
};

/** The request's resource entries (ResourceSpans / ResourceMetrics / ResourceLogs). */
export function resourceEntries<S extends Signal>(signal: S, data: SignalData[S]): object[] {
  return childrenOf(data, SHAPES[signal].top);
}

/** A request made of the given resource entries. */
export function fromResourceEntries<S extends Signal>(signal: S, entries: object[]): SignalData[S] {
  return { [SHAPES[signal].top]: entries } as unknown as SignalData[S];
}

/**
 * The first `n` items of `data` and the rest, as two new requests. `total` is the item count of
 * `data`; when `n` covers it, the head is `data` itself and the rest is empty.
 */
export function splitItems<S extends Signal>(signal: S, data: SignalData[S], n: number, total: number): [SignalData[S], SignalData[S]] {
  if (n >= total) return [data, fromResourceEntries(signal, [])];
  const [head, rest] = splitList(resourceEntries(signal, data), n, SHAPES[signal].resource);
  return [fromResourceEntries(signal, head), fromResourceEntries(signal, rest)];
}
