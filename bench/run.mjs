// `npm run bench`: OTLP/gRPC in → batch → OTLP/gRPC out, through a real sluice process.
// One driver process holds the load generator and the sink (so send and receive times share a
// clock); sluice runs as a child. Figures are printed next to a baseline measured in the same run
// (protobufjs decode+encode of the same payload), because these machines are noisy.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { benchExporterRate, SCENARIOS } from './exporter-rate.mjs';
import { benchTailSampling } from './tail-sampling.mjs';
import { benchCardinality } from './cardinality.mjs';
import { benchAlerting } from './alerting.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { otlpCodecs } = await import(join(ROOT, 'dist/src/codec/otlp-proto.js'));
const { exportServiceDefinition, exportMethodPath, rawBytes } = await import(join(ROOT, 'dist/src/codec/otlp-grpc.js'));

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 128);
const BATCH_TIMEOUT = process.env.BENCH_BATCH_TIMEOUT ?? '200ms';
const SPANS_PER_REQUEST = 100;
// The first span of every request has an id starting with these bytes and ending in the request's
// number, so the sink can pair each request's receipt with its own send time.
const TRACKED = Buffer.from([0xb3, 0x4c, 0x5e, 0x1c]);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A realistic request: 100 server spans with ten attributes each under one resource of ten. */
function buildRequest() {
  const attr = (key, value) => ({ key, value: typeof value === 'number' ? { intValue: value } : { stringValue: value } });
  const resource = {
    attributes: [
      attr('service.name', 'checkout'),
      attr('service.namespace', 'shop'),
      attr('service.version', '1.42.0'),
      attr('service.instance.id', 'checkout-7d9f8-abcde'),
      attr('host.name', 'node-17.eu-west-1'),
      attr('cloud.provider', 'aws'),
      attr('cloud.region', 'eu-west-1'),
      attr('k8s.namespace.name', 'prod'),
      attr('k8s.pod.name', 'checkout-7d9f8-abcde'),
      attr('telemetry.sdk.language', 'nodejs'),
    ],
  };
  const spans = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < SPANS_PER_REQUEST; i++) {
    const traceId = Buffer.alloc(16, 0x11);
    traceId.writeUInt32BE(Math.floor(i / 10), 12);
    const spanId = Buffer.alloc(8);
    if (i === 0) TRACKED.copy(spanId);
    else spanId.writeUInt32BE(i, 4);
    spans.push({
      traceId,
      spanId,
      name: 'GET /api/cart/{id}',
      kind: 2,
      startTimeUnixNano: (now + BigInt(i)).toString(),
      endTimeUnixNano: (now + BigInt(i) + 1_500_000n).toString(),
      attributes: [
        attr('http.request.method', 'GET'),
        attr('http.route', '/api/cart/{id}'),
        attr('http.response.status_code', 200),
        attr('url.scheme', 'https'),
        attr('server.address', 'shop.example.com'),
        attr('server.port', 443),
        attr('user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64)'),
        attr('client.address', '10.1.2.3'),
        attr('network.protocol.version', '1.1'),
        attr('app.cart.items', i % 7),
      ],
      events: [],
      links: [],
      status: { code: 1 },
    });
  }
  return { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'bench', version: '1.0.0' }, spans }] }] };
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMiB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}

/** The floor: what protobufjs alone does with the same payload, on this machine, now. */
function baseline(payload, seconds) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let spans = 0;
  while (Number(process.hrtime.bigint() - t0) / 1e9 < seconds) {
    otlpCodecs.traces.encode(otlpCodecs.traces.decode(payload));
    spans += SPANS_PER_REQUEST;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { spansPerSecond: spans / wall, cpuMicrosPerSpan: (cpu.user + cpu.system) / spans };
}

async function main() {
  const sinkPort = await freePort();
  const sluicePort = await freePort();
  const metricsPort = await freePort();
  // Encoded once; each request is a copy with its number patched into the tracked span id, which
  // costs a memcpy instead of an encode in the driver.
  const template = Buffer.from(otlpCodecs.traces.encode(buildRequest()));
  const idOffset = template.indexOf(TRACKED) + TRACKED.length;
  if (idOffset < TRACKED.length || template.indexOf(TRACKED, idOffset) !== -1) throw new Error('tracked span id not unique in the encoded request');
  const requestBody = (id) => {
    const body = Buffer.allocUnsafe(template.length);
    template.copy(body);
    body.writeUInt32BE(id, idOffset);
    return body;
  };

  // Sink: counts spans and records when each request id arrives.
  const sent = new Map();
  const latencies = [];
  let received = 0;
  const sink = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  sink.addService(exportServiceDefinition('traces'), {
    Export: (call, callback) => {
      const at = process.hrtime.bigint();
      const data = otlpCodecs.traces.decode(call.request);
      for (const rs of data.resourceSpans)
        for (const ss of rs.scopeSpans) {
          received += ss.spans.length;
          for (const { spanId: s } of ss.spans) {
            if (s[0] !== TRACKED[0] || s[1] !== TRACKED[1] || s[2] !== TRACKED[2] || s[3] !== TRACKED[3]) continue;
            const id = s[4] * 0x1000000 + (s[5] << 16) + (s[6] << 8) + s[7];
            const t = sent.get(id);
            if (t !== undefined) {
              latencies.push(Number(at - t) / 1e6);
              sent.delete(id);
            }
          }
        }
      callback(null, Buffer.alloc(0));
    },
  });
  await new Promise((resolve, reject) => sink.bindAsync(`127.0.0.1:${sinkPort}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));

  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const config = join(dir, 'bench.yaml');
  writeFileSync(
    config,
    `receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:${sluicePort}", max_recv_msg_size_mib: 16 }
processors:
  batch: { send_batch_size: 8192, timeout: ${BATCH_TIMEOUT} }
exporters:
  otlp:
    endpoint: "127.0.0.1:${sinkPort}"
    tls: { insecure: true }
    compression: none
    sending_queue: { queue_size: 1000, num_consumers: 4 }
service:
  telemetry:
    logs: { level: warn }
    metrics: { address: "127.0.0.1:${metricsPort}" }
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [otlp] }
`,
  );
  // BENCH_PROFILE=1 writes a V8 CPU profile of the sluice process next to its config.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  const child = spawn(process.execPath, [...profile, join(ROOT, 'dist/src/cli.js'), 'run', '--config', config], { stdio: ['ignore', 'inherit', 'inherit'] });
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.on('exit', kill);
  if (!profile.length) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  // Default signal deaths skip 'exit' handlers; route them through process.exit so the child goes too.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => process.exit(130));
  let died = null;
  const childExited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((died = signal ?? `code ${code}`))));

  const client = new grpc.Client(`127.0.0.1:${sluicePort}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const exportOnce = (body) =>
    new Promise((resolve) => client.makeUnaryRequest(exportMethodPath('traces'), rawBytes, rawBytes, body, (err) => resolve(err)));

  // Wait (bounded) for sluice to answer.
  const readyBy = Date.now() + 20_000;
  for (;;) {
    const err = await exportOnce(Buffer.alloc(0));
    if (!err) break;
    if (Date.now() > readyBy || died !== null) throw new Error(`sluice did not start: ${err.message}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const cpu0 = cpuSeconds(child.pid);
  const started = process.hrtime.bigint();
  const stopAt = Date.now() + SECONDS * 1000;
  let next = 0;
  let refused = 0;
  const roundTrips = [];
  const worker = async () => {
    while (Date.now() < stopAt && died === null) {
      const id = next++;
      const body = requestBody(id);
      const t = process.hrtime.bigint();
      sent.set(id, t);
      if (await exportOnce(body)) {
        refused++;
        sent.delete(id);
      } else roundTrips.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const expected = (next - refused) * SPANS_PER_REQUEST;
  const drainBy = Date.now() + 10_000;
  while (received < expected && Date.now() < drainBy && died === null) await new Promise((r) => setTimeout(r, 50));
  if (died !== null) throw new Error(`sluice exited during the run (${died})`);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuSeconds(child.pid) - cpu0;
  const rss = peakRssMiB(child.pid);
  client.close();
  child.kill('SIGTERM');
  await childExited;
  sink.forceShutdown();

  if (received === 0) throw new Error('the sink received nothing');
  const base = baseline(template, 3);
  const spansPerSecond = received / wall;
  const cpuMicrosPerSpan = (cpu * 1e6) / received;
  latencies.sort((a, b) => a - b);
  roundTrips.sort((a, b) => a - b);

  const row = (name, value) => console.log(`${name.padEnd(46)} ${value}`);
  console.log(`sluice bench: node ${process.version}, ${cpus().length} cpus (${cpus()[0]?.model ?? 'unknown'}), ${SECONDS}s, ${IN_FLIGHT} requests in flight, ${SPANS_PER_REQUEST} spans/request, batch timeout ${BATCH_TIMEOUT}`);
  row('spans sent / received', `${(next - refused) * SPANS_PER_REQUEST} / ${received} (${refused} requests refused)`);
  row('throughput through sluice (spans/s)', spansPerSecond.toFixed(0));
  row('sluice CPU seconds per million spans', (cpu / (received / 1e6)).toFixed(2));
  row('sluice peak RSS (MiB)', rss.toFixed(1));
  row('added latency p50 / p99 (ms)', `${percentile(latencies, 0.5).toFixed(1)} / ${percentile(latencies, 0.99).toFixed(1)} (${latencies.length} requests)`);
  row('client round trip (send → ack) p50 / p99 (ms)', `${percentile(roundTrips, 0.5).toFixed(1)} / ${percentile(roundTrips, 0.99).toFixed(1)}`);
  row('baseline: protobufjs decode+encode (spans/s)', base.spansPerSecond.toFixed(0));
  row('baseline: CPU µs per span', base.cpuMicrosPerSpan.toFixed(2));
  row('ratio: sluice throughput / baseline', (spansPerSecond / base.spansPerSecond).toFixed(3));
  row('ratio: sluice CPU per span / baseline', (cpuMicrosPerSpan / base.cpuMicrosPerSpan).toFixed(2));
  if (profile.length) row('CPU profile of sluice written to', dir);

  const ts = await benchTailSampling(ROOT);
  console.log(`\ntail_sampling: ${ts.traces.toLocaleString('en')} distinct one-span traces at num_traces ${ts.held.toLocaleString('en')} (virtual time; the bound decides)`);
  row('traces through (traces/s)', ts.tracesPerSecond.toFixed(0));
  row('kept (1 % errors)', String(ts.kept));
  row('baseline: live heap with the map full (MiB)', ts.baselineHeapMiB.toFixed(1));
  row('live heap after the million (MiB)', ts.endHeapMiB.toFixed(1));
  row('ratio: live heap after / baseline', (ts.endHeapMiB / ts.baselineHeapMiB).toFixed(2));
  row('peak RSS of the driver (MiB)', ts.peakRssMiB.toFixed(1));

  const card = await benchCardinality(ROOT);
  console.log(`\ncardinality_limiter: one metric, a new series per point`);
  row('exact: live heap per tracked series (bytes)', `${card.exactBytesPerSeries.toFixed(0)} (${card.exactSeries.toLocaleString('en')} series)`);
  row('probabilistic: live heap at 10,000 series (MiB)', card.heapAt10kMiB.toFixed(2));
  row(`probabilistic: live heap at ${card.sketchSeries.toLocaleString('en')} series (MiB)`, card.heapAtEndMiB.toFixed(2));
  row('ratio: probabilistic heap at the end / at 10,000', (card.heapAtEndMiB / card.heapAt10kMiB).toFixed(3));
  row('probabilistic: points through (points/s)', card.pointsPerSecond.toFixed(0));

  // BENCH_EXPORTERS=loki,jaeger picks scenarios by the start of their title.
  const al = await benchAlerting(ROOT);
  console.log(`\nalerting: ${al.series.toLocaleString('en')} series of 5 labels, ${al.samples} samples each (5 minutes at 15 s)`);
  row('baseline: live heap per label set (bytes)', al.labelBytes.toFixed(0));
  row('store: live heap per series beyond its labels (bytes)', al.storeBytes.toFixed(0));
  row('store: bytes per sample', al.sampleBytes.toFixed(1));
  row('ratio: store bytes per series / label set bytes', (al.storeBytes / al.labelBytes).toFixed(2));
  row('append (ns per sample)', al.appendNs.toFixed(0));
  row('baseline: hand-written slope loop (µs per series)', al.baselineUs.toFixed(3));
  row('rate(x[5m]) > 1 (µs per series)', al.filterUs.toFixed(3));
  row('sum by (job, code) (rate(x[5m])) (µs per series)', al.aggregateUs.toFixed(3));
  row('ratio: rate filter / baseline', (al.filterUs / al.baselineUs).toFixed(1));
  row('ratio: rate aggregation / baseline', (al.aggregateUs / al.baselineUs).toFixed(1));

  const only = process.env.BENCH_EXPORTERS?.split(',').filter(Boolean);
  for (const scenario of SCENARIOS.filter((s) => !only || only.some((o) => s.title.startsWith(o)))) {
    const r = await benchExporterRate(ROOT, Math.min(SECONDS, 10), scenario);
    console.log(`\n${scenario.title} (1000 ${scenario.unit}/batch, 4 batches in flight)`);
    row(`export rate (${scenario.unit}/s)`, r.itemsPerSecond.toFixed(0));
    row(`CPU µs per ${scenario.unit.replace(/s$/, '')}`, r.cpuMicrosPerItem.toFixed(2));
    row('requests sent', String(r.requests));
    row(`baseline: protobufjs OTLP encode (${scenario.unit}/s)`, r.baseItemsPerSecond.toFixed(0));
    row(`ratio: export CPU per ${scenario.unit.replace(/s$/, '')} / baseline`, (r.cpuMicrosPerItem / r.baseCpuMicrosPerItem).toFixed(2));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench failed: ${err.message}`);
    process.exit(1);
  },
);
