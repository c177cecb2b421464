// statsd: DogStatsD lines checked exactly on a UDP socket, and the Etsy statsd daemon (the real
// one, from npm) receiving our datagrams, its admin interface read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { asyncScheduler } from 'rxjs';
import Long from 'long';
import { statsdExporterFactory } from '../../src/exporters/statsd/factory.js';
import { packLines } from '../../src/exporters/statsd/encoder.js';
import { createEnvelope, receiverContext } from '../../src/pipeline/envelope.js';
import type { Exporter } from '../../src/pipeline/component.js';
import type { KeyValue, Metric, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/wait.js';

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const START = Long.fromString('1700000000000000000', true);
const request = (metrics: Metric[]): MetricsData => ({ resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics }] }] });

function makeExporter(raw: Record<string, unknown>): Exporter {
  const config = statsdExporterFactory.schema.parse({ sending_queue: { enabled: false }, ...raw }, { issues: [] })!;
  return statsdExporterFactory.create({ id: 'statsd', kind: 'exporter', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined }, config, 'metrics');
}

function push(exporter: Exporter, data: MetricsData): Promise<void> {
  return new Promise((resolve, reject) => exporter.consume(createEnvelope('metrics', data, receiverContext('otlp'), { ack: resolve, nack: reject })));
}

const counter = (name: string, value: number, attrs: KeyValue[] = [], cumulative = true): Metric => ({
  name,
  sum: { isMonotonic: true, aggregationTemporality: cumulative ? 2 : 1, dataPoints: [{ attributes: attrs, startTimeUnixNano: START, asInt: value, exemplars: [] }] },
});
const gauge = (name: string, value: number, attrs: KeyValue[] = []): Metric => ({ name, gauge: { dataPoints: [{ attributes: attrs, asDouble: value, exemplars: [] }] } });

test('DogStatsD lines are exact, tags from attributes, packed into datagrams no larger than max_packet_size', async () => {
  const socket = dgram.createSocket('udp4');
  const datagrams: string[] = [];
  socket.on('message', (msg) => datagrams.push(msg.toString()));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const exporter = makeExporter({ endpoint: `127.0.0.1:${socket.address().port}`, flavor: 'dogstatsd', prefix: 'shop', max_packet_size: 100 });
  try {
    await push(exporter, request([counter('http.requests', 10, [kv('route', '/a'), kv('code', '200')])]));
    await push(
      exporter,
      request([
        counter('http.requests', 25, [kv('route', '/a'), kv('code', '200')]),
        counter('jobs.done', 7, [], false),
        gauge('queue.depth', -3, [kv('queue', 'q1')]),
        {
          name: 'latency',
          histogram: { aggregationTemporality: 1, dataPoints: [{ attributes: [], count: 4, sum: 80, min: 5, max: 35, bucketCounts: [], explicitBounds: [], exemplars: [] }] },
        },
      ]),
    );
    await waitUntil(() => datagrams.join('\n').split('\n').length >= 6, 5000, () => JSON.stringify(datagrams));
    assert.deepEqual(datagrams.join('\n').split('\n'), [
      'shop.http.requests:15|c|#code:200,route:/a',
      'shop.jobs.done:7|c',
      'shop.queue.depth:-3|g|#queue:q1',
      'shop.latency.count:4|c',
      'shop.latency.sum:80|c',
      'shop.latency.min:5|g',
      'shop.latency.max:35|g',
    ]);
    for (const d of datagrams) assert.ok(Buffer.byteLength(d) <= 100, `datagram of ${Buffer.byteLength(d)} bytes`);
    assert.ok(datagrams.length > 1, 'lines were split over several datagrams');
  } finally {
    await exporter.shutdown(Date.now());
    socket.close();
  }
});

test('packing never splits a line and never exceeds the size unless one line alone does', () => {
  assert.deepEqual(packLines(['a:1|c', 'b:2|c', 'c:3|c'], 11), ['a:1|c\nb:2|c', 'c:3|c']);
  assert.deepEqual(packLines(['a-very-long-line:1|c', 'b:2|c'], 8), ['a-very-long-line:1|c', 'b:2|c']);
});

/** Retries `attempt` until it resolves, for at most `limitMs` (daemons start and apply datagrams on their own time). */
async function retryUntil(attempt: () => Promise<unknown>, limitMs: number): Promise<void> {
  const limit = Date.now() + limitMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (Date.now() > limit) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Reads one admin command's answer (util.inspect of an object) as name → number. */
async function admin(port: number, command: string): Promise<Record<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => {
      out += d.toString();
      if (out.includes('END')) {
        socket.end();
        resolve(out);
      }
    });
    socket.on('error', reject);
    socket.setTimeout(2000, () => {
      socket.destroy();
      reject(new Error(`no answer to ${command}`));
    });
    socket.write(`${command}\n`);
  });
  const values: Record<string, number> = {};
  for (const m of text.matchAll(/'?([\w.\-/]+)'?: (-?[\d.e+]+)/g)) values[m[1]!] = Number(m[2]);
  return values;
}

test('the Etsy statsd daemon receives counters (as deltas) and gauges (negative ones too)', async () => {
  const udpPort = await freePort();
  const adminPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-statsd-'));
  const configFile = join(dir, 'config.js');
  writeFileSync(
    configFile,
    `({ port: ${udpPort}, address: "127.0.0.1", mgmt_port: ${adminPort}, mgmt_address: "127.0.0.1", flushInterval: 3600000, backends: ["./backends/console"] })`,
  );
  const statsdMain = createRequire(import.meta.url).resolve('statsd/stats.js');
  const daemon = spawn(process.execPath, [statsdMain, configFile], { stdio: 'ignore' });
  const exporter = makeExporter({ endpoint: `127.0.0.1:${udpPort}`, flavor: 'etsy' });
  try {
    await retryUntil(() => admin(adminPort, 'stats'), 20_000);
    await push(exporter, request([counter('app.requests', 10, [kv('route', '/a')])]));
    await push(exporter, request([counter('app.requests', 25, [kv('route', '/a')]), gauge('app.temperature', 21.5), gauge('app.balance', -4)]));
    await push(exporter, request([counter('app.requests', 5, [kv('route', '/a')])]));
    let counters: Record<string, number> = {};
    let gauges: Record<string, number> = {};
    await retryUntil(async () => {
      counters = await admin(adminPort, 'counters');
      gauges = await admin(adminPort, 'gauges');
      if (counters['app.requests.route.-a'] !== 20 || gauges['app.balance'] !== -4) throw new Error(JSON.stringify({ counters, gauges }));
    }, 10_000);
    // 10 is the baseline; 25 adds 15; 5 is a reset, so all 5 are new: 15 + 5 = 20. The daemon
    // itself turns the `/` of the route segment into `-`.
    assert.equal(counters['app.requests.route.-a'], 20);
    assert.equal(gauges['app.temperature'], 21.5);
    assert.equal(gauges['app.balance'], -4, 'a negative gauge is set, not applied as a decrement');
  } finally {
    await exporter.shutdown(Date.now());
    daemon.kill('SIGKILL');
  }
});

test('DogStatsD distributions from a delta histogram: one representative per bucket, weighted by sample rate', async () => {
  const socket = dgram.createSocket('udp4');
  const datagrams: string[] = [];
  socket.on('message', (msg) => datagrams.push(msg.toString()));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const exporter = makeExporter({ endpoint: `127.0.0.1:${socket.address().port}`, flavor: 'dogstatsd' });
  try {
    await push(
      exporter,
      request([
        {
          name: 'latency',
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [{ attributes: [kv('route', '/a')], count: 5, sum: 90, min: 2, max: 40, bucketCounts: [1, 0, 4], explicitBounds: [10, 20], exemplars: [] }],
          },
        },
      ]),
    );
    await waitUntil(() => datagrams.join('\n').split('\n').length >= 6, 5000, () => JSON.stringify(datagrams));
    const lines = datagrams.join('\n').split('\n');
    // Bucket (-inf, 10] holds 1 (represented by the midpoint of min 2 and 10); (20, +inf) holds 4 (midpoint of 20 and max 40).
    assert.deepEqual(
      lines.filter((l) => l.includes('distribution')),
      ['latency.distribution:6|d|#route:/a', 'latency.distribution:30|d|@0.25|#route:/a'],
    );
  } finally {
    await exporter.shutdown(Date.now());
    socket.close();
  }
});

test('protocol unixgram: the same packed lines over a Unix datagram socket', async () => {
  const { createSocket } = createRequire(import.meta.url)('unix-dgram') as typeof import('unix-dgram');
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-unixgram-')), 'statsd.sock');
  const datagrams: string[] = [];
  const server = createSocket('unix_dgram', (msg) => datagrams.push(msg.toString()));
  server.bind(path);
  const exporter = makeExporter({ endpoint: path, protocol: 'unixgram', flavor: 'dogstatsd', max_packet_size: 64 });
  try {
    await push(exporter, request([gauge('queue.depth', 4, [kv('queue', 'q1')]), counter('jobs.done', 2, [], false), gauge('queue.age.seconds', 17, [kv('queue', 'q1')])]));
    await waitUntil(() => datagrams.length >= 2, 5000, () => JSON.stringify(datagrams));
    assert.deepEqual(datagrams, ['queue.depth:4|g|#queue:q1\njobs.done:2|c', 'queue.age.seconds:17|g|#queue:q1']);
  } finally {
    await exporter.shutdown(Date.now());
    server.close();
  }
});

test('protocol unixgram: a socket path nobody listens on is a retryable failure, and the config needs no host:port', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-unixgram-')), 'absent.sock');
  const exporter = makeExporter({ endpoint: path, protocol: 'unixgram', retry_on_failure: { enabled: false } });
  try {
    await assert.rejects(push(exporter, request([gauge('queue.depth', 4, [])])), (err: Error) => err.name === 'RetryableError' && err.message.includes(path));
  } finally {
    await exporter.shutdown(Date.now());
  }
});

test('protocol unixgram: a full receive queue is waited out, not dropped', async () => {
  const { createSocket } = createRequire(import.meta.url)('unix-dgram') as typeof import('unix-dgram');
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-unixgram-')), 'statsd.sock');
  const lines: string[] = [];
  const server = createSocket('unix_dgram', (msg) => lines.push(...msg.toString().split('\n')));
  server.bind(path);
  // 4,000 one-line datagrams in one export outrun the socket's queue (net.unix.max_dgram_qlen,
  // typically 512) while the receiver, on this same event loop, cannot drain it.
  const count = 4000;
  const exporter = makeExporter({ endpoint: path, protocol: 'unixgram', max_packet_size: 64 });
  try {
    await push(exporter, request(Array.from({ length: count }, (_, i) => gauge(`g${i}.long.enough.to.fill.a.packet.alone.x`, i))));
    await waitUntil(() => lines.length >= count, 10_000, () => `${lines.length} lines`);
    assert.equal(lines.length, count);
    assert.deepEqual(new Set(lines).size, count);
  } finally {
    await exporter.shutdown(Date.now());
    server.close();
  }
});
