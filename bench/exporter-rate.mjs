// Export rates of single exporters, in the driver process: OTLP batches (decoded once, as the
// receiver would hand them over) through the real exporter (translation, encoding, compression,
// the request) to a loopback peer that accepts everything, next to a same-run baseline of
// protobufjs encoding the same OTLP batch: the least any exporter does per batch.
import { createServer } from 'node:http';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { asyncScheduler } from 'rxjs';

const ITEMS_PER_BATCH = 1000;
const IN_FLIGHT = 4;
const attr = (key, value) => ({ key, value: typeof value === 'number' ? { intValue: value } : { stringValue: value } });
const resource = (service) => ({ attributes: [attr('service.name', service), attr('service.namespace', 'shop'), attr('service.instance.id', 'pod-1'), attr('host.name', 'node-7')] });
const nowNs = (batchIndex) => ((BigInt(Date.now()) + BigInt(batchIndex)) * 1_000_000n).toString();

function metricsBatch(batchIndex) {
  const dataPoints = [];
  for (let i = 0; i < ITEMS_PER_BATCH; i++) {
    dataPoints.push({
      attributes: [attr('http.route', `/api/item/${i % 50}`), attr('http.response.status_code', String(200 + (i % 5))), attr('pod', `pod-${i % 20}`)],
      startTimeUnixNano: '1700000000000000000',
      timeUnixNano: nowNs(batchIndex),
      asDouble: i * 1.5,
      exemplars: [],
    });
  }
  return {
    resourceMetrics: [
      {
        resource: resource('checkout'),
        scopeMetrics: [{ scope: { name: 'bench' }, metrics: [{ name: 'http.server.requests', unit: '{request}', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints } }] }],
      },
    ],
  };
}

const id = (bytes, seed) => Buffer.from(Array.from({ length: bytes }, (_, k) => (seed * 31 + k * 7 + 1) & 0xff));

function tracesBatch(batchIndex) {
  const start = BigInt(nowNs(batchIndex));
  const spans = [];
  for (let i = 0; i < ITEMS_PER_BATCH; i++) {
    spans.push({
      traceId: id(16, batchIndex * 100 + (i >> 3)),
      spanId: id(8, batchIndex * 10_000 + i),
      parentSpanId: i % 8 === 0 ? Buffer.alloc(0) : id(8, batchIndex * 10_000 + i - 1),
      name: `GET /api/item/${i % 50}`,
      kind: 2,
      startTimeUnixNano: (start + BigInt(i) * 1000n).toString(),
      endTimeUnixNano: (start + BigInt(i) * 1000n + 2_500_000n).toString(),
      attributes: [attr('http.request.method', 'GET'), attr('http.route', `/api/item/${i % 50}`), attr('http.response.status_code', 200 + (i % 5)), attr('net.peer.name', `client-${i % 10}`)],
      events: i % 10 === 0 ? [{ timeUnixNano: (start + 500n).toString(), name: 'cache miss', attributes: [attr('key', `item-${i}`)] }] : [],
      links: [],
      status: { code: i % 50 === 0 ? 2 : 0, message: i % 50 === 0 ? 'upstream timeout' : '' },
    });
  }
  return { resourceSpans: [{ resource: resource('checkout'), scopeSpans: [{ scope: { name: 'bench', version: '1.0' }, spans }] }] };
}

function logsBatch(batchIndex) {
  const start = BigInt(nowNs(batchIndex));
  const logRecords = [];
  for (let i = 0; i < ITEMS_PER_BATCH; i++) {
    logRecords.push({
      timeUnixNano: (start + BigInt(i) * 1000n).toString(),
      severityNumber: [9, 13, 17][i % 3],
      severityText: ['INFO', 'WARN', 'ERROR'][i % 3],
      body: { stringValue: `request ${i} for /api/item/${i % 50} took ${i % 97} ms` },
      attributes: [attr('http.route', `/api/item/${i % 50}`), attr('user.id', `u-${i % 300}`), attr('attempt', i % 3)],
      traceId: id(16, i),
      spanId: id(8, i),
    });
  }
  // Four services, so the exporter builds several streams per push.
  const perService = ITEMS_PER_BATCH / 4;
  return {
    resourceLogs: Array.from({ length: 4 }, (_, s) => ({
      resource: resource(`service-${s}`),
      scopeLogs: [{ scope: { name: 'bench' }, logRecords: logRecords.slice(s * perService, (s + 1) * perService) }],
    })),
  };
}

/** The scenarios: which exporter, its config against the loopback peer, and the batch it is fed. */
export const SCENARIOS = [
  {
    title: 'prometheusremotewrite exporter: OTLP cumulative sums → remote write (snappy protobuf) → loopback HTTP',
    signal: 'metrics',
    unit: 'points',
    build: metricsBatch,
    factory: ['exporters/prometheusremotewrite/factory.js', 'prometheusRemoteWriteExporterFactory'],
    peer: 'http',
    config: (peer) => ({ endpoint: `http://127.0.0.1:${peer.port}/api/v1/write`, remote_write_queue: { enabled: false } }),
  },
  {
    title: 'loki exporter: OTLP log records → logproto.PushRequest (snappy protobuf) → loopback HTTP',
    signal: 'logs',
    unit: 'log records',
    build: logsBatch,
    factory: ['exporters/loki/factory.js', 'lokiExporterFactory'],
    peer: 'http',
    config: (peer) => ({ endpoint: `http://127.0.0.1:${peer.port}/loki/api/v1/push`, sending_queue: { enabled: false } }),
  },
  {
    title: 'jaeger exporter (grpc): OTLP spans → api_v2 PostSpans → loopback gRPC',
    signal: 'traces',
    unit: 'spans',
    build: tracesBatch,
    factory: ['exporters/jaeger/factory.js', 'jaegerExporterFactory'],
    peer: 'jaeger-grpc',
    config: (peer) => ({ endpoint: `127.0.0.1:${peer.port}`, tls: { insecure: true }, sending_queue: { enabled: false } }),
  },
  {
    title: 'jaeger exporter (thrift_http): OTLP spans → Thrift binary Batch → loopback HTTP',
    signal: 'traces',
    unit: 'spans',
    build: tracesBatch,
    factory: ['exporters/jaeger/factory.js', 'jaegerExporterFactory'],
    peer: 'http',
    config: (peer) => ({ protocol: 'thrift_http', endpoint: `http://127.0.0.1:${peer.port}/api/traces`, sending_queue: { enabled: false } }),
  },
];

/** A peer that takes every request: an HTTP server answering 204, or a Jaeger collector's gRPC PostSpans. */
async function startPeer(kind) {
  let requests = 0;
  if (kind === 'http') {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        res.writeHead(204).end();
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: server.address().port, requests: () => requests, close: () => new Promise((resolve) => server.close(resolve)) };
  }
  const server = new grpc.Server();
  const raw = { serialize: (b) => b, deserialize: (b) => b };
  server.addService(
    { PostSpans: { path: '/jaeger.api_v2.CollectorService/PostSpans', requestStream: false, responseStream: false, requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize } },
    {
      PostSpans: (_call, callback) => {
        requests++;
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, requests: () => requests, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

export async function benchExporterRate(root, seconds, scenario) {
  const { otlpCodecs } = await import(join(root, 'dist/src/codec/otlp-proto.js'));
  const factory = (await import(join(root, 'dist/src', scenario.factory[0])))[scenario.factory[1]];
  const { createEnvelope, receiverContext } = await import(join(root, 'dist/src/pipeline/envelope.js'));
  const { createLogger } = await import(join(root, 'dist/src/telemetry/logger.js'));
  const { Telemetry } = await import(join(root, 'dist/src/telemetry/telemetry.js'));
  const codec = otlpCodecs[scenario.signal];

  const peer = await startPeer(scenario.peer);
  const ctx = { issues: [] };
  const config = factory.schema.parse(scenario.config(peer), ctx);
  if (ctx.issues.length) throw new Error(`${scenario.factory[1]} config: ${ctx.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const exporter = factory.create({ id: 'bench', kind: 'exporter', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler }, config, scenario.signal);
  await exporter.start();
  const batches = Array.from({ length: 16 }, (_, i) => codec.decode(codec.encode(scenario.build(i))));

  const push = (data) => new Promise((resolve, reject) => exporter.consume(createEnvelope(scenario.signal, data, receiverContext('bench'), { ack: resolve, nack: reject })));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let items = 0;
  let next = 0;
  const stopAt = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < stopAt) {
        await push(batches[next++ % batches.length]);
        items += ITEMS_PER_BATCH;
      }
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await exporter.shutdown(Date.now() + 1000);
  const requests = peer.requests();
  await peer.close();

  const b0 = process.hrtime.bigint();
  const bc0 = process.cpuUsage();
  let baseItems = 0;
  while (Number(process.hrtime.bigint() - b0) / 1e9 < 2) {
    codec.encode(batches[(baseItems / ITEMS_PER_BATCH) % batches.length]);
    baseItems += ITEMS_PER_BATCH;
  }
  const baseWall = Number(process.hrtime.bigint() - b0) / 1e9;
  const bcpu = process.cpuUsage(bc0);
  return {
    itemsPerSecond: items / wall,
    cpuMicrosPerItem: (cpu.user + cpu.system) / items,
    requests,
    baseItemsPerSecond: baseItems / baseWall,
    baseCpuMicrosPerItem: (bcpu.user + bcpu.system) / baseItems,
  };
}
