import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { countItems } from '../../src/pdata/count.js';
import { mergeRequests } from '../../src/pdata/merge.js';
import { splitItems } from '../../src/pdata/split.js';
import type { LogsData, Metric, MetricsData, Signal, SignalData, TracesData } from '../../src/pdata/types.js';
import { canon } from '../helpers/canon.js';

const T0 = Long.fromString('1700000000123456789', true);

function kv(key: string, value: string) {
  return { key, value: { stringValue: value } };
}

/** Decoded through protobufjs, so the objects carry message prototypes as a receiver's would. */
function decoded<S extends Signal>(signal: S, data: SignalData[S]): SignalData[S] {
  const codec = otlpCodecs[signal];
  return codec.decode(codec.encode(data));
}

function tracesFixture(): TracesData {
  let id = 0;
  const spans = (n: number) =>
    Array.from({ length: n }, () => {
      const spanId = new Uint8Array(8);
      spanId[7] = ++id;
      return { traceId: new Uint8Array(16).fill(9), spanId, name: `span-${id}`, startTimeUnixNano: T0, attributes: [kv('i', String(id))], events: [], links: [] };
    });
  return decoded('traces', {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', 'a')], droppedAttributesCount: 2 },
        schemaUrl: 'https://schema/a',
        scopeSpans: [
          { scope: { name: 's1', version: '1', attributes: [] }, schemaUrl: 'https://scope/1', spans: spans(3) },
          { scope: { name: 's2', attributes: [kv('x', 'y')] }, spans: [] },
          { scope: { name: 's3', attributes: [] }, spans: spans(2) },
        ],
      },
      { resource: { attributes: [kv('service.name', 'b')] }, scopeSpans: [{ scope: { name: 's4', attributes: [] }, spans: spans(4) }] },
    ],
  });
}

function metricsFixture(): MetricsData {
  const points = (n: number, base: number) =>
    Array.from({ length: n }, (_, i) => ({ attributes: [kv('p', String(base + i))], timeUnixNano: T0, asInt: Long.fromNumber(base + i), exemplars: [] }));
  return decoded('metrics', {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', 'm')] },
        scopeMetrics: [
          {
            scope: { name: 'meter', attributes: [] },
            metrics: [
              { name: 'requests', unit: '1', description: 'reqs', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: points(4, 0) } },
              { name: 'temp', unit: 'C', gauge: { dataPoints: points(2, 100) }, metadata: [kv('m', 'd')] },
              {
                name: 'latency',
                histogram: {
                  aggregationTemporality: 1,
                  dataPoints: [
                    { attributes: [], count: Long.fromNumber(3), sum: 1.5, bucketCounts: [Long.fromNumber(1), Long.fromNumber(2)], explicitBounds: [1], exemplars: [] },
                    { attributes: [kv('h', '2')], count: Long.fromNumber(1), bucketCounts: [Long.fromNumber(1)], explicitBounds: [], exemplars: [] },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

function logsFixture(): LogsData {
  const records = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ body: { stringValue: `log-${base + i}` }, severityNumber: 9, timeUnixNano: T0, attributes: [] }));
  return decoded('logs', {
    resourceLogs: [
      { resource: { attributes: [kv('service.name', 'l')] }, scopeLogs: [{ scope: { name: 'logger', attributes: [] }, logRecords: records(2, 0) }] },
      { resource: { attributes: [] }, scopeLogs: [{ logRecords: records(1, 2) }, { scope: { name: 'other', attributes: [] }, logRecords: records(2, 3) }] },
    ],
  });
}

const POINT_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

/** Every item with everything that describes it (resource, scope, metric header), in canonical form. */
function flatten(signal: Signal, data: SignalData[Signal]): unknown[] {
  const out: unknown[] = [];
  const d = data as unknown as Record<string, { resource?: unknown; schemaUrl?: string; [k: string]: unknown }[]>;
  const [top, scopesKey, itemsKey] = {
    traces: ['resourceSpans', 'scopeSpans', 'spans'],
    metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
    logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  }[signal] as [string, string, string];
  for (const r of d[top] ?? []) {
    for (const sc of (r[scopesKey] as { scope?: unknown; schemaUrl?: string; [k: string]: unknown }[]) ?? []) {
      const where = { resource: canon(r.resource), resourceSchema: r.schemaUrl, scope: canon(sc.scope), scopeSchema: sc.schemaUrl };
      for (const item of (sc[itemsKey] as object[]) ?? []) {
        if (signal !== 'metrics') {
          out.push({ ...where, item: canon(item) });
          continue;
        }
        const metric = item as Metric;
        const kind = POINT_KINDS.find((k) => metric[k] != null)!;
        const body = metric[kind] as { dataPoints: unknown[] };
        const header = canon({ ...metric, [kind]: { ...body, dataPoints: [] } });
        for (const point of body.dataPoints) out.push({ ...where, header, kind, point: canon(point) });
      }
    }
  }
  return out;
}

const FIXTURES: { [S in Signal]: () => SignalData[S] } = { traces: tracesFixture, metrics: metricsFixture, logs: logsFixture };

for (const signal of ['traces', 'metrics', 'logs'] as const) {
  test(`${signal}: every cut keeps each item with its resource, scope and metric, and leaves the input untouched`, () => {
    const data = FIXTURES[signal]() as SignalData[Signal];
    const codec = otlpCodecs[signal] as unknown as { encode(d: unknown): Uint8Array; decode(b: Uint8Array): SignalData[Signal] };
    const before = Buffer.from(codec.encode(data));
    const all = flatten(signal, data);
    const total = countItems(signal, data);
    assert.equal(all.length, total);
    for (let n = 1; n < total; n++) {
      const [head, rest] = splitItems(signal, data, n, total);
      assert.equal(countItems(signal, head), n);
      assert.equal(countItems(signal, rest), total - n);
      assert.deepEqual([...flatten(signal, head), ...flatten(signal, rest)], all, `cut after ${n}`);
      // The parts are real messages: they survive the wire with every field.
      const wireHead = codec.decode(codec.encode(head));
      const wireRest = codec.decode(codec.encode(rest));
      assert.deepEqual([...flatten(signal, wireHead), ...flatten(signal, wireRest)], all);
      assert.deepEqual(flatten(signal, mergeRequests(signal, [head, rest])), all);
    }
    assert.deepEqual(Buffer.from(codec.encode(data)), before, 'splitting never modifies its input');
  });
}

test('a cut that covers everything returns the request itself and an empty rest', () => {
  const data = tracesFixture();
  const [head, rest] = splitItems('traces', data, 100, countItems('traces', data));
  assert.equal(head, data);
  assert.deepEqual(rest, { resourceSpans: [] });
});

test('a metric cut between its data points keeps its header on both sides', () => {
  const data = metricsFixture();
  const [head, rest] = splitItems('metrics', data, 1, 8);
  const h = head.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
  const r = rest.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
  assert.equal(h.length, 1);
  assert.equal(h[0]!.name, 'requests');
  assert.equal(h[0]!.sum!.dataPoints.length, 1);
  assert.equal(h[0]!.sum!.isMonotonic, true);
  assert.equal(r[0]!.name, 'requests');
  assert.equal(r[0]!.description, 'reqs');
  assert.equal(r[0]!.sum!.aggregationTemporality, 2);
  assert.equal(r[0]!.sum!.dataPoints.length, 3);
  // Whole containers on one side are shared, not copied.
  assert.equal(r[1], data.resourceMetrics[0]!.scopeMetrics[0]!.metrics[1]);
  assert.equal(r[0]!.sum!.dataPoints[0], data.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!.dataPoints[1]);
});

test('merging appends resource entries in order and returns a single part unchanged', () => {
  const a = tracesFixture();
  const b = tracesFixture();
  const merged = mergeRequests('traces', [a, b]);
  assert.equal(merged.resourceSpans.length, 4);
  assert.equal(merged.resourceSpans[0], a.resourceSpans[0]);
  assert.equal(merged.resourceSpans[2], b.resourceSpans[0]);
  assert.equal(mergeRequests('traces', [a]), a);
});
