import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { formatIssue, validateConfig } from '../../src/config/validate.js';
import type { ValidationResult } from '../../src/config/types.js';
import { fakeFactories } from './fake-factories.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

function validate(file: string, sets: string[] = []): ValidationResult {
  const loaded = loadConfig([fixtures + file], sets, {});
  assert.deepEqual(loaded.issues, []);
  assert.ok(loaded.raw);
  return validateConfig(loaded.raw, fakeFactories);
}

/** Issues as `validate` prints them, with the fixture folder cut for readability. */
function printed(result: ValidationResult): string[] {
  return result.issues.map((issue) => formatIssue(issue).replace(fixtures, ''));
}

test('a valid file yields the service config with every default filled in', () => {
  const result = validate('valid.yaml');
  const config = result.config;
  assert.ok(config);
  assert.deepEqual(config.receivers.get('tracesonly')?.config, { endpoint: '0.0.0.0:4317', tls: { insecure: false } });
  assert.equal(config.receivers.get('tracesonly')?.type, 'tracesonly');
  assert.equal(config.receivers.get('tracesonly/unused')?.type, 'tracesonly');
  assert.deepEqual(config.processors.get('batch')?.config, { timeout: 1000, send_batch_size: 8192 });
  assert.deepEqual(config.exporters.get('sink')?.config, { endpoint: 'backend:4317', headers: {} });
  assert.equal(config.connectors.get('count')?.kind, 'connector');
  assert.deepEqual(config.extensions.get('health')?.config, { endpoint: '0.0.0.0:13133' });
  assert.deepEqual(config.service, {
    extensions: ['health'],
    pipelines: [
      { id: 'traces', signal: 'traces', receivers: ['tracesonly'], processors: ['batch'], exporters: ['sink', 'count'] },
      { id: 'metrics/counts', signal: 'metrics', receivers: ['count'], processors: [], exporters: ['sink'] },
    ],
    telemetry: { logs: { level: 'info' }, metrics: { level: 'normal', address: '0.0.0.0:8888' } },
    shutdownTimeoutMs: 10_000,
  });
});

test('components used nowhere are warnings at their key, and do not block the config', () => {
  const result = validate('valid.yaml');
  assert.ok(result.config);
  assert.deepEqual(printed(result), [
    'valid.yaml:3:3: warning: receivers.tracesonly/unused: receiver "tracesonly/unused" is defined but is not used in any pipeline',
    'valid.yaml:14:3: warning: extensions.health/unused: extension "health/unused" is defined but is not enabled in service.extensions',
  ]);
});

test('every error in a broken file is reported together, each with its path and position', () => {
  const result = validate('broken.yaml');
  assert.equal(result.config, undefined);
  assert.deepEqual(printed(result), [
    'broken.yaml:35:1: error: unknown_section: unknown top-level key "unknown_section" (expected one of: receivers, processors, exporters, connectors, extensions, service)',
    'broken.yaml:4:7: error: receivers.tracesonly.endpoint: expected a string, got a map',
    'broken.yaml:5:3: error: receivers.tracesonly/: invalid component id "tracesonly/": the name after "/" must not be empty',
    'broken.yaml:6:3: error: receivers.kafka: unknown receiver type "kafka" (known receiver types: tracesonly)',
    'broken.yaml:10:5: error: processors.batch.colour: unknown key "colour" (expected one of: timeout, send_batch_size)',
    'broken.yaml:9:14: error: processors.batch.timeout: expected a duration such as "5s", "200ms" or "1m30s", got string "soon"',
    'broken.yaml:13:3: error: exporters.sink.endpoint: missing required key "endpoint" (a string)',
    'broken.yaml:34:3: error: service.colour: unknown key "colour" (expected one of: extensions, pipelines, telemetry, shutdown_timeout)',
    'broken.yaml:19:24: error: service.extensions[1]: extension "zpages" is not defined (define it under extensions)',
    'broken.yaml:23:36: error: service.pipelines.traces.processors[2]: processor "batch" is listed more than once',
    'broken.yaml:22:31: error: service.pipelines.traces.receivers[1]: receiver "missing" is not defined (define it under receivers or connectors)',
    'broken.yaml:26:19: error: service.pipelines.metrics.receivers[0]: receiver "tracesonly" does not support metrics (it supports: traces)',
    'broken.yaml:27:20: error: service.pipelines.metrics.processors[0]: processor "sampler" does not support metrics (it supports: traces)',
    'broken.yaml:29:5: error: service.pipelines.logs.receivers: a pipeline needs at least one receiver',
    'broken.yaml:29:5: error: service.pipelines.logs.exporters: a pipeline needs at least one exporter',
    'broken.yaml:31:5: error: service.pipelines.spans: unknown signal "spans" in pipeline id "spans" (expected traces, metrics or logs, optionally followed by /name)',
    'broken.yaml:28:19: error: service.pipelines.metrics.exporters[0]: connector "count" is an exporter in metrics but a receiver in no pipeline',
  ]);
  // The unused-component check still runs, but ids whose type is unknown are not reported twice.
  assert.ok(result.issues.every((i) => i.severity === 'error'));
});

test('issues carry structured positions as well as the printed form', () => {
  const result = validate('broken.yaml');
  const endpoint = result.issues.find((i) => i.path === 'receivers.tracesonly.endpoint');
  assert.deepEqual(endpoint, {
    severity: 'error',
    path: 'receivers.tracesonly.endpoint',
    message: 'expected a string, got a map',
    position: { file: `${fixtures}broken.yaml`, line: 4, column: 7 },
  });
});

test('connectors must join signal pairs they support, and must not form cycles', () => {
  const result = validate('connectors.yaml');
  assert.equal(result.config, undefined);
  assert.deepEqual(printed(result), [
    'connectors.yaml:14:19: error: service.pipelines.traces.exporters[0]: connector "count" cannot connect traces to the pipelines it receives in (logs); it supports traces->metrics',
    'connectors.yaml:16:19: error: service.pipelines.logs.receivers[0]: connector "count" cannot feed logs from the pipelines it exports in (traces); it supports traces->metrics',
    'connectors.yaml:20:19: error: service.pipelines.traces/fan.exporters[0]: connector "forward/loop" closes a cycle: traces/fan -> traces/fan',
  ]);
});

test('a connector used only as a receiver is an error at that use', () => {
  const result = validate('valid.yaml', ['service.pipelines.traces.exporters=[sink]']);
  assert.equal(result.config, undefined);
  assert.deepEqual(
    printed(result).filter((line) => line.includes('error')),
    ['valid.yaml:23:19: error: service.pipelines.metrics/counts.receivers[0]: connector "count" is a receiver in metrics/counts but an exporter in no pipeline'],
  );
});

test('pipeline ids, pipeline keys, duplicate ids and ambiguous connector ids are checked', () => {
  const result = validate('valid.yaml', [
    'service.pipelines.traces/=null',
    'service.pipelines.traces.colour=red',
    'service.pipelines.traces.receivers=[tracesonly, tracesonly]',
    'receivers.count=null',
  ]);
  assert.equal(result.config, undefined);
  assert.deepEqual(
    printed(result).filter((line) => line.includes('error')),
    [
      '--set:4:1: error: receivers.count: unknown receiver type "count" (known receiver types: tracesonly)',
      'valid.yaml:11:3: error: connectors.count: "count" is defined both as a connector and under receivers, so pipelines cannot tell which is meant',
      '--set:2:1: error: service.pipelines.traces.colour: unknown key "colour" (expected one of: receivers, processors, exporters)',
      '--set:3:49: error: service.pipelines.traces.receivers[1]: receiver "tracesonly" is listed more than once',
      '--set:1:1: error: service.pipelines.traces/: invalid pipeline id "traces/": expected signal or signal/name, with a non-empty name and a single "/"',
    ],
  );
});

test('a missing service section or an empty set of pipelines is an error', () => {
  const noService = validate('valid.yaml', ['service=null']);
  assert.equal(noService.config, undefined);
  assert.deepEqual(
    printed(noService).filter((line) => line.includes('error')),
    ['--set:1:9: error: service: missing the "service" section, which lists the pipelines to run'],
  );
  const noPipelines = validate('valid.yaml', ['service.pipelines=null']);
  assert.deepEqual(
    printed(noPipelines).filter((line) => line.includes('error')),
    ['--set:1:19: error: service.pipelines: at least one pipeline is required'],
  );
});

test('telemetry: levels, the metrics endpoint from readers, shutdown_timeout', () => {
  const result = validate('telemetry.yaml');
  assert.deepEqual(result.issues, []);
  assert.deepEqual(result.config?.service.telemetry, { logs: { level: 'debug' }, metrics: { level: 'detailed', address: '127.0.0.1:9888' } });
  assert.equal(result.config?.service.shutdownTimeoutMs, 30_000);

  const none = validate('telemetry.yaml', ['service.telemetry.metrics.level=none']);
  assert.deepEqual(none.config?.service.telemetry.metrics, { level: 'none', address: undefined });

  const legacy = validate('telemetry.yaml', ['service.telemetry.metrics.readers=null', 'service.telemetry.metrics.address=localhost:9999']);
  assert.equal(legacy.config?.service.telemetry.metrics.address, 'localhost:9999');
});

test('telemetry: conflicting or unsupported metrics settings are warnings, bad values errors', () => {
  const both = validate('telemetry.yaml', [
    'service.telemetry.metrics.address=localhost:9999',
    'service.telemetry.metrics.readers=[{pull: {exporter: {prometheus: {port: 1}}}}, {pull: {exporter: {prometheus: {host: "::1"}}}}]',
  ]);
  assert.equal(both.config?.service.telemetry.metrics.address, '0.0.0.0:1');
  assert.deepEqual(printed(both), [
    '--set:1:35: warning: service.telemetry.metrics.address: both address and readers are set; the readers decide the endpoint',
    '--set:2:35: warning: service.telemetry.metrics.readers: only one prometheus endpoint is served: 0.0.0.0:1',
  ]);

  const periodic = validate('telemetry.yaml', ['service.telemetry.metrics.readers=[{periodic: {exporter: {otlp: {}}}}]']);
  assert.equal(periodic.config?.service.telemetry.metrics.address, undefined);
  assert.deepEqual(printed(periodic), [
    '--set:1:36: warning: service.telemetry.metrics.readers[0]: only pull readers with a prometheus exporter are supported; this reader is ignored',
  ]);

  const bad = validate('telemetry.yaml', [
    'service.telemetry.logs.level=verbose',
    'service.shutdown_timeout=soon',
    'service.telemetry.metrics.readers=null',
    'service.telemetry.metrics.address=localhost',
  ]);
  assert.equal(bad.config, undefined);
  assert.deepEqual(printed(bad), [
    '--set:1:30: error: service.telemetry.logs.level: expected one of "debug", "info", "warn", "error", got string "verbose"',
    '--set:4:35: error: service.telemetry.metrics.address: expected host:port, got "localhost"',
    '--set:2:26: error: service.shutdown_timeout: expected a duration such as "5s", "200ms" or "1m30s", got string "soon"',
  ]);
});

test('formatIssue leaves out what it does not know', () => {
  assert.equal(formatIssue({ severity: 'error', path: '', message: 'config file "x" does not exist' }), 'error: config file "x" does not exist');
  assert.equal(
    formatIssue({ severity: 'warning', path: 'a.b', message: 'm', position: { line: 2, column: 3 } }),
    '2:3: warning: a.b: m',
  );
  assert.equal(
    formatIssue({ severity: 'error', path: 'exporters.otlp/tempo.endpoint', message: 'expected a string, got a map', position: { file: 'pipelines/broken.yaml', line: 12, column: 7 } }),
    'pipelines/broken.yaml:12:7: error: exporters.otlp/tempo.endpoint: expected a string, got a map',
  );
});
