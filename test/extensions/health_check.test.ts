// health_check: the probes follow the service phase; /health/ready lists each component's status
// (an exporter's health as it reports it) and fails only as healthcheckv2's component_health says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync, rmSync } from 'node:fs';
import { asyncScheduler } from 'rxjs';
import { healthCheckExtensionFactory, type HealthCheckExtension } from '../../src/extensions/health_check/factory.js';
import type { ComponentStatus, ServiceHost } from '../../src/pipeline/component.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { makeTestPki } from '../helpers/tls.js';
import { otlpHttpExporterFactory } from '../../src/exporters/otlphttp/factory.js';
import { submit } from '../helpers/exporter-harness.js';
import { startRecordingServer } from '../helpers/recording-server.js';
import { VirtualClock } from '../helpers/virtual-time.js';
import { waitUntil } from '../helpers/wait.js';

function fakeHost(): ServiceHost & { phase: ServiceHost['phase'] } {
  const statuses: ComponentStatus[] = [{ id: 'otlp', kind: 'receiver', status: 'ok', since: 0 }];
  return {
    phase: 'starting',
    componentStatuses: () => statuses,
    reportStatus: () => {},
    lastReload: () => ({ successful: true, at: 0, lastSuccessAt: 0, errors: [] }),
  };
}

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function startExtension(raw: Record<string, unknown>, host: ServiceHost): Promise<HealthCheckExtension> {
  const ctx = { issues: [] };
  const config = healthCheckExtensionFactory.schema.parse(raw, ctx);
  assert.deepEqual(ctx.issues, []);
  const ext = healthCheckExtensionFactory.create(
    { id: 'health_check', kind: 'extension', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined },
    config!,
    host,
  ) as HealthCheckExtension;
  await ext.start();
  return ext;
}

test('live, ready and startup follow the service phase', async () => {
  const host = fakeHost();
  const ext = await startExtension({ endpoint: '127.0.0.1:0' }, host);
  try {
    const port = ext.port();
    const expected: Record<ServiceHost['phase'], [number, number, number]> = {
      starting: [200, 503, 503],
      running: [200, 200, 200],
      stopping: [200, 503, 200],
      stopped: [200, 503, 200],
    };
    for (const phase of ['starting', 'running', 'stopping', 'stopped'] as const) {
      host.phase = phase;
      const [live, ready, startup] = await Promise.all(['/health/live', '/health/ready', '/health/startup'].map((p) => get(port, p)));
      assert.deepEqual([live!.status, ready!.status, startup!.status], expected[phase], phase);
      assert.equal(ready!.body.status, phase === 'running' ? 'ok' : phase);
      assert.deepEqual(ready!.body.components, [{ id: 'otlp', kind: 'receiver', status: 'ok', since: '1970-01-01T00:00:00.000Z', healthy: true }]);
      assert.equal(ready!.body.healthy, phase === 'running');
      assert.match(String(ready!.body.uptime), /^\d+\.\d{3}s$/);
    }
    host.phase = 'running';
    assert.equal((await get(port, '/')).status, 200, 'the legacy path answers like /health/ready');
    assert.equal((await get(port, '/nope')).status, 404);
    assert.equal((await get(port, '/health/live', 'POST')).status, 405);
  } finally {
    await ext.shutdown(Date.now());
  }
});

test('tls serves the probes over HTTPS', async () => {
  const pki = makeTestPki();
  const host = fakeHost();
  host.phase = 'running';
  const ext = await startExtension({ endpoint: '127.0.0.1:0', tls: { cert_file: pki.serverCert, key_file: pki.serverKey } }, host);
  try {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: ext.port(), path: '/health/ready', ca: readFileSync(pki.ca), servername: 'sluice-test.local' }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject).end();
    });
    assert.equal(status, 200);
    assert.equal((JSON.parse(body) as { status: string }).status, 'ok');
  } finally {
    await ext.shutdown(Date.now());
    rmSync(pki.dir, { recursive: true, force: true });
  }
});

/** A host keeping the statuses components report, as the service does. */
function recordingHost(): ServiceHost & { phase: ServiceHost['phase']; set(status: ComponentStatus): void } {
  const statuses = new Map<string, ComponentStatus>();
  return {
    phase: 'running',
    componentStatuses: () => [...statuses.values()],
    reportStatus(id, kind, status, error) {
      statuses.set(`${kind}:${id}`, { id, kind, status, error, since: Date.now() });
    },
    set(status) {
      statuses.set(`${status.kind}:${status.id}`, status);
    },
    lastReload: () => ({ successful: true, at: 0, lastSuccessAt: 0, errors: [] }),
  };
}

type Listed = { id: string; kind: string; status: string; error?: string; since: string; healthy: boolean };

test('an exporter whose backend answers 503 shows as recoverable_error in /health/ready, and as ok once the backend recovers', async () => {
  let up = false;
  const backend = await startRecordingServer(
    () => undefined,
    () => (up ? { status: 200 } : { status: 503, body: 'overloaded' }),
  );
  const host = recordingHost();
  const ext = await startExtension({ endpoint: '127.0.0.1:0' }, host);
  const clock = new VirtualClock();
  const config = otlpHttpExporterFactory.schema.parse({ endpoint: backend.url, compression: 'none', retry_on_failure: { initial_interval: '1s', randomization_factor: 0 } }, { issues: [] })!;
  const id = 'otlphttp/backend';
  const exporter = otlpHttpExporterFactory.create(
    { id, kind: 'exporter', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: clock.scheduler, reportStatus: (status, error) => host.reportStatus(id, 'exporter', status, error), extension: () => undefined },
    config,
    'traces',
  );
  const reported = () => host.componentStatuses().find((c) => c.id === id)?.status;
  const exporterStatus = async () => {
    const { status, body } = await get(ext.port(), '/health/ready');
    return { code: status, overall: body.status, listed: (body.components as Listed[]).find((c) => c.id === id) };
  };
  try {
    await exporter.start();
    host.reportStatus(id, 'exporter', 'ok');
    submit(exporter, 'traces', { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ name: 'op', attributes: [], events: [], links: [] }] }] }] });
    await waitUntil(() => backend.requests.length === 1, 5000, () => 'the first request');
    await waitUntil(() => reported() === 'recoverable_error', 5000, () => 'the exporter to report recoverable_error');
    const down = await exporterStatus();
    assert.equal(down.code, 200, 'by default a component error does not fail readiness');
    assert.equal(down.overall, 'recoverable_error');
    assert.deepEqual(down.listed, { id, kind: 'exporter', status: 'recoverable_error', error: 'HTTP 503: overloaded', since: down.listed?.since, healthy: true });

    up = true;
    await clock.advance(1000);
    await waitUntil(() => backend.requests.length === 2, 5000, () => 'the retry');
    await waitUntil(() => reported() === 'ok', 5000, () => 'the exporter to report ok again');
    const recovered = await exporterStatus();
    assert.deepEqual([recovered.code, recovered.overall, recovered.listed?.status], [200, 'ok', 'ok']);
  } finally {
    await exporter.shutdown(clock.now());
    await ext.shutdown(Date.now());
    await backend.close();
  }
});

test('component_health: permanent errors, and recoverable ones older than recovery_duration, fail readiness with 500', async () => {
  const host = recordingHost();
  const strict = await startExtension({ endpoint: '127.0.0.1:0', component_health: { include_permanent_errors: true, include_recoverable_errors: true, recovery_duration: '5m' } }, host);
  const lenient = await startExtension({ endpoint: '127.0.0.1:0' }, host);
  try {
    const ready = async (ext: HealthCheckExtension) => {
      const { status, body } = await get(ext.port(), '/health/ready');
      return [status, body.status, body.healthy];
    };
    host.set({ id: 'otlp/a', kind: 'exporter', status: 'recoverable_error', error: 'HTTP 503', since: Date.now() - 60_000 });
    assert.deepEqual(await ready(strict), [200, 'recoverable_error', true], 'within recovery_duration');
    host.set({ id: 'otlp/a', kind: 'exporter', status: 'recoverable_error', error: 'HTTP 503', since: Date.now() - 6 * 60_000 });
    assert.deepEqual(await ready(strict), [500, 'recoverable_error', false], 'failing for longer than recovery_duration');
    assert.deepEqual(await ready(lenient), [200, 'recoverable_error', true]);
    host.set({ id: 'otlp/b', kind: 'exporter', status: 'permanent_error', error: 'HTTP 400', since: Date.now() });
    assert.deepEqual(await ready(strict), [500, 'permanent_error', false]);
    assert.deepEqual(await ready(lenient), [200, 'permanent_error', true]);
    assert.equal((await get(strict.port(), '/health/live')).status, 200, 'liveness never depends on components');
  } finally {
    await strict.shutdown(Date.now());
    await lenient.shutdown(Date.now());
  }
});

test('component_health with only recoverable errors included ranks them above permanent ones in the overall status', async () => {
  const host = recordingHost();
  const ext = await startExtension({ endpoint: '127.0.0.1:0', component_health: { include_recoverable_errors: true, recovery_duration: '1h' } }, host);
  try {
    host.set({ id: 'otlp/a', kind: 'exporter', status: 'permanent_error', since: Date.now() });
    host.set({ id: 'otlp/b', kind: 'exporter', status: 'recoverable_error', since: Date.now() });
    const { status, body } = await get(ext.port(), '/health/ready');
    assert.equal(status, 200);
    assert.equal(body.status, 'recoverable_error');
  } finally {
    await ext.shutdown(Date.now());
  }
});

test('the deprecated check_collector_pipeline section is accepted and has no effect', () => {
  const ctx = { issues: [] };
  const config = healthCheckExtensionFactory.schema.parse({ check_collector_pipeline: { enabled: true, interval: '5m', exporter_failure_threshold: 5 } }, ctx);
  assert.deepEqual(ctx.issues, []);
  assert.equal(config?.endpoint, '0.0.0.0:13133');
  assert.equal(config?.path, '/');
});

test('config: unknown keys and bad endpoints are errors', () => {
  const ctx = { issues: [] as { path: string; message: string }[] };
  healthCheckExtensionFactory.schema.parse({ endpoint: 'nonsense', port: 1 }, ctx as never, ['extensions', 'health_check']);
  const messages = ctx.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
  assert.match(messages, /extensions\.health_check\.port: unknown key "port"/);
  assert.match(messages, /extensions\.health_check\.endpoint: invalid endpoint "nonsense"/);
});
