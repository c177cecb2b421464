import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobAndInstance, prometheusLabelName, prometheusLabels, prometheusMetricName } from '../../src/codec/prometheus-names.js';
import type { KeyValue } from '../../src/pdata/types.js';

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

test('metric names: sanitised, unit words appended once, _total for counters, _ratio for unit-1 gauges', () => {
  const cases: Array<[string, string, Parameters<typeof prometheusMetricName>[2], string]> = [
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
    ['http.server.duration', 'ms', 'histogram', 'http_server_duration_milliseconds'],
    ['system.filesystem.usage', 'By', 'gauge', 'system_filesystem_usage_bytes'],
    ['system.network.dropped', '{packets}', 'counter', 'system_network_dropped_total'],
    ['system.network.dropped', 'packets', 'gauge', 'system_network_dropped_packets'],
    ['system.memory.utilization', '1', 'gauge', 'system_memory_utilization_ratio'],
    ['requests', '1', 'counter', 'requests_total'],
    ['http.requests.total', '', 'counter', 'http_requests_total'],
    ['network.io', 'By/s', 'gauge', 'network_io_bytes_per_second'],
    ['queue.latency_seconds', 's', 'histogram', 'queue_latency_seconds'],
    ['(lambda).function.executions(#)', '', 'gauge', 'lambda_function_executions'],
    ['temperature', 'Cel', 'gauge', 'temperature_celsius'],
    ['disk.usage', '%', 'gauge', 'disk_usage_percent'],
    ['2xx.responses', '', 'counter', '_2xx_responses_total'],
  ];
  for (const [name, unit, kind, want] of cases) assert.equal(prometheusMetricName(name, unit, kind), want, `${name} [${unit}] ${kind}`);
});

test('metric names: suffixes can be switched off, and a namespace prefixes the name', () => {
  assert.equal(prometheusMetricName('http.server.duration', 'ms', 'counter', { addSuffixes: false }), 'http_server_duration');
  assert.equal(prometheusMetricName('http.server.duration', 'ms', 'histogram', { namespace: 'shop' }), 'shop_http_server_duration_milliseconds');
});

test('label names: invalid characters, leading digits and single leading underscores', () => {
  assert.equal(prometheusLabelName('http.request.method'), 'http_request_method');
  assert.equal(prometheusLabelName('2xx'), 'key_2xx');
  assert.equal(prometheusLabelName('_private'), 'key_private');
  assert.equal(prometheusLabelName('__reserved'), '__reserved');
  assert.equal(prometheusLabelName('ok_name'), 'ok_name');
});

test('labels that collide after sanitising keep every value, joined in key order', () => {
  const labels = prometheusLabels([kv('host.name', 'b'), kv('host_name', 'a'), kv('region', 'eu')]);
  assert.deepEqual([...labels], [
    ['host_name', 'b;a'],
    ['region', 'eu'],
  ]);
});

test('job and instance come from service.namespace/service.name and service.instance.id', () => {
  assert.deepEqual(jobAndInstance([kv('service.name', 'cart'), kv('service.namespace', 'shop'), kv('service.instance.id', 'pod-1')]), { job: 'shop/cart', instance: 'pod-1' });
  assert.deepEqual(jobAndInstance([kv('service.name', 'cart')]), { job: 'cart', instance: undefined });
  assert.deepEqual(jobAndInstance([]), { job: undefined, instance: undefined });
});
