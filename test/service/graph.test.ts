// The component graph: nodes and edges from the pipelines, data order, cycles refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import { formatIssue, validateConfig } from '../../src/config/validate.js';
import type { ServiceConfig } from '../../src/config/types.js';
import { allFactories } from '../../src/components.js';
import { ComponentGraph, GraphCycleError, reusableComponents } from '../../src/service/graph.js';
import { writeTempConfig } from '../helpers/service.js';

const factories = await allFactories();

function configOf(yaml: string): ServiceConfig {
  const loaded = loadConfig([writeTempConfig(yaml)], []);
  const result = validateConfig(loaded.raw!, factories);
  if (!result.config) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.config;
}

const spanmetricsYaml = `
receivers:
  otlp: { protocols: { grpc: { endpoint: "127.0.0.1:0" } } }
processors:
  batch: {}
  memory_limiter: { limit_mib: 100, check_interval: 1s }
connectors:
  spanmetrics: {}
exporters:
  debug: {}
  otlp: { endpoint: "127.0.0.1:4317", tls: { insecure: true } }
service:
  pipelines:
    traces: { receivers: [otlp], processors: [memory_limiter, batch], exporters: [spanmetrics, otlp] }
    metrics: { receivers: [otlp, spanmetrics], processors: [memory_limiter], exporters: [debug] }
`;

test('nodes and edges follow the pipelines: receiver, pipeline entry, processors, fan-out, exporters and connectors', () => {
  const graph = new ComponentGraph(configOf(spanmetricsYaml));
  const keys = (list: { key: string }[]) => list.map((n) => n.key).sort();
  assert.deepEqual(keys(graph.downstream('receiver:otlp')), ['pipeline:metrics', 'pipeline:traces']);
  assert.deepEqual(keys(graph.downstream('pipeline:traces')), ['processor:traces:0:memory_limiter']);
  assert.deepEqual(keys(graph.downstream('processor:traces:1:batch')), ['fanout:traces']);
  assert.deepEqual(keys(graph.downstream('fanout:traces')), ['connector:spanmetrics:traces:metrics', 'exporter:otlp:traces']);
  assert.deepEqual(keys(graph.downstream('connector:spanmetrics:traces:metrics')), ['pipeline:metrics']);
  assert.deepEqual(keys(graph.upstream('pipeline:metrics')), ['connector:spanmetrics:traces:metrics', 'receiver:otlp']);
  assert.equal(graph.nodes.get('exporter:debug:metrics')?.signal, 'metrics');
});

test('data order puts every node after everything upstream of it, connectors before the pipelines they feed', () => {
  const graph = new ComponentGraph(configOf(spanmetricsYaml));
  const position = new Map(graph.order.map((n, i) => [n.key, i]));
  assert.equal(position.size, graph.nodes.size);
  for (const node of graph.order) {
    for (const next of graph.downstream(node.key)) assert.ok(position.get(node.key)! < position.get(next.key)!, `${node.key} before ${next.key}`);
  }
  assert.ok(position.get('connector:spanmetrics:traces:metrics')! < position.get('pipeline:metrics')!);
  assert.ok(position.get('pipeline:metrics')! < position.get('exporter:debug:metrics')!);
});

test('node keys and configs are stable across two graphs of the same config, so graphs can be compared', () => {
  const a = new ComponentGraph(configOf(spanmetricsYaml));
  const b = new ComponentGraph(configOf(spanmetricsYaml));
  assert.deepEqual([...a.nodes.keys()], [...b.nodes.keys()]);
  assert.deepEqual(a.node('exporter:otlp:traces').component?.config, b.node('exporter:otlp:traces').component?.config);
});

test('a cycle through connectors is refused, naming the pipelines around it', () => {
  const config = configOf(`
receivers:
  otlp: { protocols: { grpc: { endpoint: "127.0.0.1:0" } } }
connectors:
  forward/a: {}
  forward/b: {}
exporters:
  debug: {}
service:
  pipelines:
    traces/in: { receivers: [otlp], exporters: [forward/a] }
    traces/one: { receivers: [forward/a], exporters: [forward/b] }
    traces/two: { receivers: [forward/b], exporters: [debug] }
`);
  // validate refuses a cycle with its position in the file; the graph refuses one built in code too.
  config.service.pipelines.find((p) => p.id === 'traces/two')!.exporters.push('forward/a');
  assert.throws(
    () => new ComponentGraph(config),
    (err: unknown) => err instanceof GraphCycleError && /^the pipelines form a cycle through their connectors: (traces\/one -> traces\/two -> traces\/one|traces\/two -> traces\/one -> traces\/two)$/.test(err.message),
  );
});

const reloadYaml = (changes: { receiver?: string; exporter?: string; health?: string; metricsPipeline?: boolean; extensions?: string } = {}) => `
receivers:
  otlp: { protocols: { http: { endpoint: "${changes.receiver ?? '127.0.0.1:4318'}" } } }
  otlp/other: { protocols: { grpc: { endpoint: "127.0.0.1:4317" } } }
processors:
  batch: {}
exporters:
  otlphttp/a: { endpoint: "${changes.exporter ?? 'http://127.0.0.1:9000'}" }
  debug: {}
extensions:
  health_check: { endpoint: "${changes.health ?? '127.0.0.1:13133'}" }
  health_check/2: { endpoint: "127.0.0.1:13134" }
service:
  extensions: ${changes.extensions ?? '[health_check, health_check/2]'}
  pipelines:
    traces: { receivers: [otlp, otlp/other], processors: [batch], exporters: [otlphttp/a, debug] }
${changes.metricsPipeline ? '    metrics: { receivers: [otlp], exporters: [debug] }' : ''}
`;

test('reusable: receivers, exporters and extensions with the same id, type and config; nothing else', () => {
  const same = reusableComponents(new ComponentGraph(configOf(reloadYaml())), new ComponentGraph(configOf(reloadYaml())));
  assert.deepEqual([...same.nodes].sort(), ['exporter:debug:traces', 'exporter:otlphttp/a:traces', 'receiver:otlp', 'receiver:otlp/other']);
  assert.deepEqual([...same.extensions].sort(), ['health_check', 'health_check/2']);

  const changed = reusableComponents(
    new ComponentGraph(configOf(reloadYaml())),
    new ComponentGraph(configOf(reloadYaml({ receiver: '127.0.0.1:4319', exporter: 'http://127.0.0.1:9001', health: '127.0.0.1:13135', extensions: '[health_check]' }))),
  );
  assert.deepEqual([...changed.nodes].sort(), ['exporter:debug:traces', 'receiver:otlp/other'], 'the changed receiver and exporter are not reusable');
  assert.deepEqual([...changed.extensions], [], 'a changed extension is not, nor one no longer listed');
});

test('reusable: a receiver that feeds another signal now is not (it was created with a consumer per signal in use)', () => {
  const reusable = reusableComponents(new ComponentGraph(configOf(reloadYaml())), new ComponentGraph(configOf(reloadYaml({ metricsPipeline: true }))));
  assert.ok(!reusable.nodes.has('receiver:otlp'));
  assert.ok(reusable.nodes.has('receiver:otlp/other'));
  assert.ok(reusable.nodes.has('exporter:debug:traces') && !reusable.nodes.has('exporter:debug:metrics'), 'an exporter is kept per signal; the new signal is a new node');
});
