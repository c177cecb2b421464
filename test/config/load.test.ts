import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/validate.js';
import type { RawConfig } from '../../src/config/types.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const env = { HOST: 'collector', PORT: '4317' };

function load(files: string[], sets: string[] = []): RawConfig {
  const result = loadConfig(files.map(fixture), sets, env);
  assert.deepEqual(result.issues.filter((i) => i.severity === 'error'), []);
  assert.ok(result.raw);
  return result.raw;
}

test('values and keys carry file, line and column', () => {
  const file = fixture('positions.yaml');
  const raw = load(['positions.yaml']);
  assert.deepEqual(raw.locate(['exporters', 'otlp/tempo', 'endpoint']), { file, line: 9, column: 15 });
  assert.deepEqual(raw.locateKey?.(['exporters', 'otlp/tempo', 'endpoint']), { file, line: 9, column: 5 });
  assert.deepEqual(raw.locate(['exporters', 'otlp/mimir', 'endpoint']), { file, line: 13, column: 17 });
  assert.deepEqual(raw.locate(['service', 'pipelines', 'traces', 'exporters', 1]), { file, line: 23, column: 11 });
  assert.deepEqual(raw.locate(['service', 'pipelines', 'traces', 'receivers', 0]), { file, line: 20, column: 19 });
  // A block map value starts at its first key; its own key sits a line above.
  assert.deepEqual(raw.locate(['receivers', 'otlp']), { file, line: 4, column: 5 });
  assert.deepEqual(raw.locateKey?.(['receivers', 'otlp']), { file, line: 3, column: 3 });
});

test('a missing path is located at the enclosing entry, so "missing key" errors point somewhere useful', () => {
  const file = fixture('positions.yaml');
  const raw = load(['positions.yaml']);
  assert.deepEqual(raw.locate(['service', 'pipelines', 'traces', 'processors']), { file, line: 19, column: 5 });
  assert.equal(raw.locate(['connectors']), undefined);
});

test('anchors and merge keys resolve, with positions from where the value is written', () => {
  const file = fixture('positions.yaml');
  const raw = load(['positions.yaml']);
  assert.deepEqual((raw.value.exporters as Record<string, unknown>)['otlp/mimir'], {
    endpoint: 'mimir:4317',
    headers: { 'x-scope-orgid': 'team-a', 'x-extra': '1' },
  });
  assert.deepEqual(raw.locate(['exporters', 'otlp/mimir', 'headers', 'x-scope-orgid']), { file, line: 11, column: 22 });
});

test('env references expand like the Collector, typed only where a plain scalar is one reference', () => {
  const result = loadConfig([fixture('env.yaml')], [], env);
  const otlp = (result.raw?.value.exporters as Record<string, Record<string, unknown>>).otlp;
  assert.deepEqual(otlp, {
    endpoint: 'http://collector:4317/v1',
    port: 4317,
    quoted_port: '4317',
    bare: 'collector',
    fallback: 'localhost:4317',
    typed_fallback: false,
    escaped: '${env:HOST}',
    dollars: 'a$b and $5',
    unset: '',
    in_list: ['collector', 'plain'],
  });
  assert.deepEqual(result.issues.map(formatIssue), [
    `${fixture('env.yaml')}:11:12: warning: exporters.otlp.unset: environment variable NOT_SET_ANYWHERE is not set; using an empty string`,
  ]);
});

test('a default applies only when the variable is unset, not when it is empty (as in the Collector)', () => {
  const result = loadConfig([fixture('env.yaml')], [], { ...env, MISSING: '' });
  const otlp = (result.raw?.value.exporters as Record<string, Record<string, unknown>>).otlp!;
  assert.equal(otlp.fallback, '');
  assert.equal(otlp.typed_fallback, '');
});

test('an unsupported provider scheme is an error at the value', () => {
  const result = loadConfig([fixture('bad-provider.yaml')], [], env);
  assert.equal(result.raw, undefined);
  assert.deepEqual(result.issues.map(formatIssue), [
    `${fixture('bad-provider.yaml')}:3:15: error: exporters.otlp.endpoint: unsupported config provider "file" in "\${file:/etc/endpoint}" (only env is supported)`,
  ]);
});

test('later files merge over earlier ones: maps recursively, lists and scalars wholesale', () => {
  const raw = load(['base.yaml', 'overlay.yaml']);
  assert.deepEqual(raw.value, {
    receivers: { otlp: { protocols: { grpc: { endpoint: '127.0.0.1:14317' }, http: { endpoint: '0.0.0.0:4318' } } } },
    // An empty value in the later file replaces the earlier map, as koanf's merge does in the Collector.
    processors: { batch: null },
    service: { pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['debug'] } } },
  });
  const base = fixture('base.yaml');
  const overlay = fixture('overlay.yaml');
  assert.deepEqual(raw.locate(['receivers', 'otlp', 'protocols', 'grpc', 'endpoint']), { file: overlay, line: 5, column: 19 });
  assert.deepEqual(raw.locate(['receivers', 'otlp', 'protocols', 'http', 'endpoint']), { file: base, line: 7, column: 19 });
  assert.deepEqual(raw.locate(['service', 'pipelines', 'traces', 'processors', 0]), { file: overlay, line: 11, column: 20 });
  // The replaced list's second item is gone, positions included.
  assert.deepEqual(raw.locate(['service', 'pipelines', 'traces', 'processors', 1]), { file: overlay, line: 11, column: 7 });
  assert.deepEqual(raw.locate(['service', 'pipelines', 'traces', 'exporters', 0]), { file: base, line: 16, column: 19 });
});

test('--set overrides take ids with "/", flow lists, typed scalars and env references', () => {
  const raw = load(
    ['base.yaml'],
    [
      'exporters.otlp/tempo.endpoint=tempo:4317',
      'service.pipelines.traces.exporters=[debug, otlp/tempo]',
      'processors.batch.send_batch_size=${env:PORT}',
      'processors::batch::timeout=5s',
    ],
  );
  assert.deepEqual(raw.value.exporters, { 'otlp/tempo': { endpoint: 'tempo:4317' } });
  assert.deepEqual(raw.value.processors, { batch: { timeout: '5s', send_batch_size: 4317 } });
  assert.deepEqual((raw.value.service as { pipelines: { traces: unknown } }).pipelines.traces, {
    receivers: ['otlp'],
    processors: ['batch', 'memory_limiter'],
    exporters: ['debug', 'otlp/tempo'],
  });
  // Line is the 1-based index of the --set, column the place in that argument.
  assert.deepEqual(raw.locate(['exporters', 'otlp/tempo', 'endpoint']), { file: '--set', line: 1, column: 31 });
  assert.deepEqual(raw.locate(['service', 'pipelines', 'traces', 'exporters', 1]), { file: '--set', line: 2, column: 44 });
  assert.deepEqual(raw.locate(['service', 'pipelines', 'traces', 'receivers', 0]), { file: fixture('base.yaml'), line: 14, column: 19 });
});

test('malformed --set arguments are errors that quote the argument', () => {
  const result = loadConfig([fixture('base.yaml')], ['nope', 'a..b=1', 'x.y=[a'], env);
  assert.equal(result.raw, undefined);
  assert.deepEqual(result.issues.map(formatIssue), [
    '--set:1:1: error: --set "nope": expected key.path=value, e.g. exporters.otlp/tempo.endpoint=tempo:4317',
    '--set:2:1: error: --set "a..b=1": expected key.path=value, e.g. exporters.otlp/tempo.endpoint=tempo:4317',
    '--set:3:7: error: x.y: YAML syntax error: Flow sequence must end with a ]',
  ]);
});

test('a YAML syntax error is reported with its file, line and column', () => {
  const result = loadConfig([fixture('syntax-error.yaml')], [], env);
  assert.equal(result.raw, undefined);
  assert.deepEqual(result.issues.map(formatIssue), [
    `${fixture('syntax-error.yaml')}:3:16: error: YAML syntax error: Nested mappings are not allowed in compact mappings`,
  ]);
});

test('missing files and files that are not maps are clear errors; an empty file is a warning', () => {
  const missing = loadConfig([fixture('does-not-exist.yaml')], [], env);
  assert.equal(missing.raw, undefined);
  assert.deepEqual(missing.issues.map(formatIssue), [`error: config file "${fixture('does-not-exist.yaml')}" does not exist`]);

  const directory = loadConfig([fixture('')], [], env);
  assert.match(formatIssue(directory.issues[0]!), /is a directory, not a file$/);

  const list = loadConfig([fixture('list.yaml')], [], env);
  assert.equal(list.raw, undefined);
  assert.deepEqual(list.issues.map(formatIssue), [
    `${fixture('list.yaml')}:1:1: error: config file "${fixture('list.yaml')}" must hold a map of sections (receivers, exporters, service, ...), got a list`,
  ]);

  const empty = loadConfig([fixture('empty.yaml'), fixture('base.yaml')], [], env);
  assert.deepEqual(empty.issues.map((i) => [i.severity, i.message]), [['warning', `config file "${fixture('empty.yaml')}" is empty`]]);
  assert.ok(empty.raw?.value.receivers);
});

test('every file is read even after one fails, so all problems show at once', () => {
  const result = loadConfig([fixture('syntax-error.yaml'), fixture('list.yaml'), fixture('bad-provider.yaml')], [], env);
  assert.deepEqual(
    result.issues.map((i) => i.position?.file),
    [fixture('syntax-error.yaml'), fixture('list.yaml'), fixture('bad-provider.yaml')],
  );
});
