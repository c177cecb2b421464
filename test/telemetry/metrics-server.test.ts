import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMetricsServer } from '../../src/telemetry/metrics-server.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { createLogger } from '../../src/telemetry/logger.js';

test('/metrics serves the Collector-named counters and process metrics', async () => {
  const telemetry = new Telemetry();
  telemetry.receiver('otlp', 'grpc').accepted('traces', 5);
  telemetry.exporter('otlp/tempo', 'traces').sent(4);
  const server = await startMetricsServer(telemetry, '127.0.0.1:0', createLogger('silent'));
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, /^otelcol_receiver_accepted_spans\{receiver="otlp",transport="grpc"\} 5$/m);
    assert.match(text, /^otelcol_exporter_sent_spans\{exporter="otlp\/tempo"\} 4$/m);
    for (const name of ['otelcol_process_uptime', 'otelcol_process_memory_rss', 'otelcol_process_cpu_seconds', 'otelcol_process_runtime_heap_alloc_bytes']) {
      assert.match(text, new RegExp(`^${name} \\d`, 'm'), name);
    }
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/other`)).status, 404);
  } finally {
    await server.close();
  }
});
