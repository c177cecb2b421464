// Hot reload of a running `sluice run`, end to end in a child process: under a steady OTLP/HTTP
// load, a SIGHUP that adds a processor and moves the exporter to another backend loses and refuses
// nothing, keeps the receiver's socket and connections, and sends later data to the new backend;
// an invalid config is logged with file:line and the old graph serves on; --watch reloads on a
// file change; the outcome shows in the reload metrics and the health_check body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recording-server.js';
import { writeTempConfig } from '../helpers/service.js';
import { freePort } from '../helpers/ports.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';

/** A backend keeping the span ids (hex) it was sent. */
interface Backend {
  server: RecordingServer<string[]>;
  ids(): Set<string>;
}

async function backend(): Promise<Backend> {
  const server = await startRecordingServer<string[]>(
    (req, body) => {
      const data = otlpCodecs.traces.decode(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body);
      return data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => Buffer.from(s.spanId!).toString('hex'))));
    },
    () => ({ status: 200 }),
  );
  return { server, ids: () => new Set(server.requests.flat()) };
}

interface Ports {
  otlp: number;
  metrics: number;
  health: number;
}

/** The gateway's config: OTLP/HTTP in, the given processors, otlphttp out to `backendUrl`. */
function gatewayYaml(ports: Ports, backendUrl: string, processors: string[] = []): string {
  return `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:${ports.otlp}" }
processors:
  batch: { timeout: 100ms, send_batch_size: 50 }
exporters:
  otlphttp:
    endpoint: ${backendUrl}
extensions:
  health_check: { endpoint: "127.0.0.1:${ports.health}" }
service:
  extensions: [health_check]
  telemetry: { metrics: { address: "127.0.0.1:${ports.metrics}" } }
  pipelines:
    traces: { receivers: [otlp], processors: [${processors.join(', ')}], exporters: [otlphttp] }
`;
}

let spanSeq = 0;
const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');

/** An OTLP/JSON request of `n` spans, each with a span id never used before; returns the body and the ids. */
function spans(n: number): { body: string; ids: string[] } {
  const ids = Array.from({ length: n }, () => hex(++spanSeq, 8));
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'load' } }] },
        scopeSpans: [{ spans: ids.map((spanId) => ({ traceId: hex(1, 16), spanId, name: 'op', kind: 2, startTimeUnixNano: '1000', endTimeUnixNano: '2000' })) }],
      },
    ],
  });
  return { body, ids };
}

function post(agent: Agent, port: number, body: string, onSocket: (socket: Socket) => void = () => {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('socket', onSocket);
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Keeps `workers` requests in flight over kept-alive connections until stopped (or `maxRequests`
 * were sent). Every request is recorded: its span ids when accepted, its status or error if not,
 * and whether it was sent after `mark()`.
 */
function loadGenerator(port: number, workers = 4, maxRequests = 4000) {
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const sockets = new Set<Socket>();
  const accepted: { ids: string[]; afterMark: boolean }[] = [];
  const failures: string[] = [];
  let sent = 0;
  let stopped = false;
  let marked = false;
  const worker = async () => {
    while (!stopped && sent < maxRequests) {
      sent++;
      const afterMark = marked;
      const { body, ids } = spans(5);
      try {
        const status = await post(agent, port, body, (socket) => sockets.add(socket));
        if (status === 200) accepted.push({ ids, afterMark });
        else failures.push(`status ${status}`);
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker));
  return {
    accepted,
    failures,
    /** Connections opened so far. */
    sockets: () => sockets.size,
    mark: () => (marked = true),
    async stop() {
      stopped = true;
      await done;
      agent.destroy();
    },
  };
}

async function startGateway(args: string[], yaml: (ports: Ports) => string): Promise<{ cli: RunningCli; ports: Ports; file: string }> {
  const ports = { otlp: await freePort(), metrics: await freePort(), health: await freePort() };
  const file = writeTempConfig(yaml(ports));
  const cli = startCli(['run', '--config', file, ...args]);
  const agent = new Agent();
  try {
    await waitUntilAsync(async () => (await post(agent, ports.otlp, '{"resourceSpans":[]}').catch(() => 0)) === 200, 30_000, () => `gateway up; output:\n${cli.output()}`);
  } catch (err) {
    cli.child.kill('SIGKILL');
    throw err;
  } finally {
    agent.destroy();
  }
  return { cli, ports, file };
}

async function waitUntilAsync(condition: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const limit = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > limit) throw new Error(`timed out waiting: ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const reloads = (cli: RunningCli) => cli.output().split('\n').filter((l) => l.includes('"msg":"configuration reloaded"'));

async function text(url: string): Promise<string> {
  return (await fetch(url)).text();
}

test('SIGHUP under load: nothing refused or lost, the receiver keeps its socket, later data goes to the new backend', async () => {
  const [a, b] = [await backend(), await backend()];
  const { cli, ports, file } = await startGateway([], (ports) => gatewayYaml(ports, a.server.url));
  const load = loadGenerator(ports.otlp);
  try {
    await waitUntil(() => load.accepted.length >= 50, 30_000, () => `load before the reload; failures: ${load.failures.join(', ')}`);
    writeFileSync(file, gatewayYaml(ports, b.server.url, ['batch']));
    cli.child.kill('SIGHUP');
    await waitUntil(() => reloads(cli).length === 1, 30_000, () => `the reload; output:\n${cli.output()}`);
    load.mark();
    const afterMark = () => load.accepted.filter((r) => r.afterMark).length;
    await waitUntil(() => afterMark() >= 50, 30_000, () => `load after the reload; failures: ${load.failures.join(', ')}`);
    await load.stop();

    assert.deepEqual(load.failures, [], 'no request was refused or failed during the swap');
    const all = load.accepted.flatMap((r) => r.ids);
    const arrived = () => all.filter((id) => a.ids().has(id) || b.ids().has(id)).length;
    await waitUntil(() => arrived() === all.length, 30_000, () => `${all.length - arrived()} of ${all.length} accepted spans still missing`);
    const late = load.accepted.filter((r) => r.afterMark).flatMap((r) => r.ids);
    assert.ok(late.every((id) => b.ids().has(id) && !a.ids().has(id)), 'what was sent once the reload was logged went to the new backend only');
    assert.ok(a.ids().size > 0, 'the old backend got the data from before the reload');

    const reloaded = JSON.parse(reloads(cli)[0]!) as { kept: string[]; rebuilt: string[]; started: string[] };
    assert.deepEqual(reloaded.kept.sort(), ['extensions.health_check', 'receivers.otlp']);
    assert.deepEqual(reloaded.rebuilt, ['exporters.otlphttp']);
    assert.deepEqual(reloaded.started, ['processors.batch']);
    assert.equal(cli.output().match(/OTLP\/HTTP receiver listening/g)?.length, 1, 'the receiver was started once: same socket, same port');
    assert.equal(load.sockets(), 4, 'the load generator’s kept-alive connections were never closed');

    const metrics = await text(`http://127.0.0.1:${ports.metrics}/metrics`);
    assert.match(metrics, /sluice_config_reloads_total\{result="success"\} 1/);
    assert.match(metrics, /sluice_config_last_reload_successful 1/);
    const health = JSON.parse(await text(`http://127.0.0.1:${ports.health}/health/ready`)) as { config: { last_reload_successful: boolean; errors: string[] } };
    assert.equal(health.config.last_reload_successful, true);
  } finally {
    await load.stop();
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.output());
    await Promise.all([a.server.close(), b.server.close()]);
  }
});

test('SIGHUP with an invalid config: every error logged with file:line, the old graph serves on', async () => {
  const a = await backend();
  const { cli, ports, file } = await startGateway([], (ports) => gatewayYaml(ports, a.server.url));
  const load = loadGenerator(ports.otlp, 2);
  try {
    await waitUntil(() => load.accepted.length >= 20, 30_000, () => `load before the reload; failures: ${load.failures.join(', ')}`);
    writeFileSync(file, gatewayYaml(ports, a.server.url).replace('http: { endpoint:', 'http: { endpiont: "x", endpoint:').replace('batch: {', 'batch: { sizee: 1,'));
    cli.child.kill('SIGHUP');
    await waitUntil(() => /still running the previous one/.test(cli.output()), 30_000, () => cli.output());
    const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(cli.output(), new RegExp(`${escaped}:5:\\d+: error: receivers\\.otlp\\.protocols\\.http\\.endpiont: unknown key`));
    assert.match(cli.output(), new RegExp(`${escaped}:7:\\d+: error: processors\\.batch\\.sizee: unknown key`));
    load.mark();
    await waitUntil(() => load.accepted.filter((r) => r.afterMark).length >= 20, 30_000, () => `load after the failed reload; failures: ${load.failures.join(', ')}`);
    await load.stop();
    assert.deepEqual(load.failures, []);
    const all = load.accepted.flatMap((r) => r.ids);
    await waitUntil(() => all.every((id) => a.ids().has(id)), 30_000, () => 'every accepted span at the backend');

    const metrics = await text(`http://127.0.0.1:${ports.metrics}/metrics`);
    assert.match(metrics, /sluice_config_reloads_total\{result="failure"\} 1/);
    assert.match(metrics, /sluice_config_last_reload_successful 0/);
    const health = JSON.parse(await text(`http://127.0.0.1:${ports.health}/health/ready`)) as { healthy: boolean; config: { last_reload_successful: boolean; errors: string[] } };
    assert.equal(health.config.last_reload_successful, false);
    assert.equal(health.healthy, true, 'a failed reload does not fail readiness: the previous config serves');
    assert.equal(health.config.errors.length, 2);
    assert.match(health.config.errors[0]!, /:5:\d+: error: .*endpiont/);
  } finally {
    await load.stop();
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.output());
    await a.server.close();
  }
});

test('--watch: editing the config file reloads it without a signal', async () => {
  const [a, b] = [await backend(), await backend()];
  const { cli, ports, file } = await startGateway(['--watch'], (ports) => gatewayYaml(ports, a.server.url));
  const agent = new Agent({ keepAlive: true });
  try {
    const first = spans(1);
    assert.equal(await post(agent, ports.otlp, first.body), 200);
    await waitUntil(() => a.ids().has(first.ids[0]!), 30_000, () => 'the first span at the first backend');
    writeFileSync(file, gatewayYaml(ports, b.server.url));
    await waitUntil(() => reloads(cli).length === 1, 30_000, () => `the reload on the file change; output:\n${cli.output()}`);
    assert.match(cli.output(), /a configuration file changed; reloading the configuration/);
    const second = spans(1);
    assert.equal(await post(agent, ports.otlp, second.body), 200);
    await waitUntil(() => b.ids().has(second.ids[0]!), 30_000, () => 'the second span at the second backend');
  } finally {
    agent.destroy();
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.output());
    await Promise.all([a.server.close(), b.server.close()]);
  }
});
