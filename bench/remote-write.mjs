// The prometheusremotewrite exporter's export rate: OTLP metric batches through the real exporter
// (conversion, protobuf, snappy, HTTP) to a loopback receiver that accepts everything, next to a
// same-run baseline of protobufjs encoding the same OTLP batch.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';

const POINTS_PER_BATCH = 1000;

function buildBatch(batchIndex) {
  const attr = (key, value) => ({ key, value: { stringValue: value } });
  const now = (BigInt(Date.now()) + BigInt(batchIndex)) * 1_000_000n;
  const dataPoints = [];
  for (let i = 0; i < POINTS_PER_BATCH; i++) {
    dataPoints.push({
      attributes: [attr('http.route', `/api/item/${i % 50}`), attr('http.response.status_code', String(200 + (i % 5))), attr('pod', `pod-${i % 20}`)],
      startTimeUnixNano: '1700000000000000000',
      timeUnixNano: now.toString(),
      asDouble: i * 1.5,
      exemplars: [],
    });
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: [attr('service.name', 'checkout'), attr('service.namespace', 'shop'), attr('service.instance.id', 'pod-1'), attr('host.name', 'node-7')] },
        scopeMetrics: [{ scope: { name: 'bench' }, metrics: [{ name: 'http.server.requests', unit: '{request}', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints } }] }],
      },
    ],
  };
}

export async function benchRemoteWrite(root, seconds) {
  const { otlpCodecs } = await import(join(root, 'dist/src/codec/otlp-proto.js'));
  const { prometheusRemoteWriteExporterFactory } = await import(join(root, 'dist/src/exporters/prometheusremotewrite/factory.js'));
  const { createEnvelope, receiverContext } = await import(join(root, 'dist/src/pipeline/envelope.js'));
  const { createLogger } = await import(join(root, 'dist/src/telemetry/logger.js'));
  const { Telemetry } = await import(join(root, 'dist/src/telemetry/telemetry.js'));

  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config = prometheusRemoteWriteExporterFactory.schema.parse(
    { endpoint: `http://127.0.0.1:${server.address().port}/api/v1/write`, remote_write_queue: { enabled: false } },
    { issues: [] },
  );
  const exporter = prometheusRemoteWriteExporterFactory.create(
    { id: 'prometheusremotewrite', kind: 'exporter', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler },
    config,
    'metrics',
  );
  await exporter.start();
  // Decoded once per variant, as the receiver would hand them over.
  const batches = Array.from({ length: 16 }, (_, i) => otlpCodecs.metrics.decode(otlpCodecs.metrics.encode(buildBatch(i))));

  const push = (data) =>
    new Promise((resolve, reject) => exporter.consume(createEnvelope('metrics', data, receiverContext('bench'), { ack: resolve, nack: reject })));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let points = 0;
  const stopAt = Date.now() + seconds * 1000;
  const inFlight = 4;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < stopAt) {
        await push(batches[next++ % batches.length]);
        points += POINTS_PER_BATCH;
      }
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await exporter.shutdown(Date.now() + 1000);
  server.close();

  // Baseline: protobufjs encoding the same OTLP batch, the least any exporter does per batch.
  const b0 = process.hrtime.bigint();
  const bc0 = process.cpuUsage();
  let basePoints = 0;
  while (Number(process.hrtime.bigint() - b0) / 1e9 < 2) {
    otlpCodecs.metrics.encode(batches[basePoints / POINTS_PER_BATCH % batches.length]);
    basePoints += POINTS_PER_BATCH;
  }
  const baseWall = Number(process.hrtime.bigint() - b0) / 1e9;
  const bcpu = process.cpuUsage(bc0);
  return {
    pointsPerSecond: points / wall,
    cpuMicrosPerPoint: (cpu.user + cpu.system) / points,
    requests,
    basePointsPerSecond: basePoints / baseWall,
    baseCpuMicrosPerPoint: (bcpu.user + bcpu.system) / basePoints,
  };
}
