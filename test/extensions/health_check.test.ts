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

function fakeHost(): ServiceHost & { phase: ServiceHost['phase'] } {
  const statuses: ComponentStatus[] = [{ id: 'otlp', kind: 'receiver', status: 'ok', since: 0 }];
  return {
    phase: 'starting',
    componentStatuses: () => statuses,
    reportStatus: () => {},
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
    { id: 'health_check', kind: 'extension', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler, reportStatus: () => {} },
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
      assert.deepEqual(ready!.body.components, [{ id: 'otlp', kind: 'receiver', status: 'ok', since: '1970-01-01T00:00:00.000Z' }]);
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
