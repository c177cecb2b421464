// `npm run bench`: the gateway through a real sluice process (bench/gateway.mjs), then the
// processors' and exporters' own benches. Figures are printed next to baselines measured in the
// same run, because these machines are noisy.
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gatewayBench, percentile, QUEUES, ITEMS_PER_REQUEST } from './gateway.mjs';
import { benchExporterRate, SCENARIOS } from './exporter-rate.mjs';
import { benchTailSampling } from './tail-sampling.mjs';
import { benchCardinality } from './cardinality.mjs';
import { benchAlerting } from './alerting.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const IN_FLIGHT = (process.env.BENCH_IN_FLIGHT ?? '1,8,64').split(',').map(Number).filter((n) => n > 0);
const BATCH_TIMEOUT = process.env.BENCH_BATCH_TIMEOUT ?? '200ms';
const MODES = (process.env.BENCH_QUEUES ?? Object.keys(QUEUES).join(',')).split(',').filter((m) => m in QUEUES);

const row = (name, value) => console.log(`${name.padEnd(50)} ${value}`);
const ms = (sorted) => `${percentile(sorted, 0.5).toFixed(1)} / ${percentile(sorted, 0.99).toFixed(1)}`;
const perCpuSecond = (r) => r.received / r.cpu;

async function main() {
  // Default signal deaths skip 'exit' handlers; route them through process.exit so children go too.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => process.exit(130));
  const bench = await gatewayBench(ROOT);
  const base = bench.codecBaseline(3);
  console.log(`sluice bench: node ${process.version}, ${cpus().length} cpus (${cpus()[0]?.model ?? 'unknown'}), OTLP requests of ${ITEMS_PER_REQUEST} items serialized by the OpenTelemetry JS SDK, batch timeout ${BATCH_TIMEOUT}`);
  row('baseline: protobufjs decode+encode (spans/s)', base.itemsPerSecond.toFixed(0));
  row('baseline: CPU µs per span', base.cpuMicrosPerItem.toFixed(2));

  const paced = { seconds: SECONDS, itemsPerSecond: RATE };
  const floor = await bench.direct(paced);
  const floorP99 = percentile(floor.roundTrips, 0.99);
  const report = (r, { acks = true } = {}) => {
    row('    items sent / received', `${r.sent} / ${r.received} (${r.refused} requests refused)`);
    if (acks) row('    client ack p50 / p99 (ms)', ms(r.roundTrips));
    if (r.latencies.length) row('    delivered to the sink p50 / p99 (ms)', ms(r.latencies));
    row('    sluice CPU (cores)', (r.cpu / r.wall).toFixed(3));
    row('    sluice RSS idle / peak (MiB)', `${r.idleRss.toFixed(1)} / ${r.rss.toFixed(1)}`);
    if (acks) row('    ratio: ack p99 / floor p99', (percentile(r.roundTrips, 0.99) / floorP99).toFixed(1));
    row('    ratio: CPU per item / baseline', ((r.cpu * 1e6) / r.received / base.cpuMicrosPerItem).toFixed(2));
  };

  console.log(`\nOTLP/gRPC → batch → OTLP/gRPC at ${RATE.toLocaleString('en')} spans/s, open loop, ${SECONDS} s per queue`);
  row('floor: client straight to the sink, ack p50 / p99 (ms)', ms(floor.roundTrips));
  for (const queue of MODES) {
    console.log(`  ${QUEUES[queue].title}`);
    report(await bench.throughSluice(paced, { queue, batchTimeout: BATCH_TIMEOUT }));
  }

  console.log(`\nmore workloads at ${RATE.toLocaleString('en')} items/s, memory queue`);
  const workloads = [
    ['traces over OTLP/HTTP (protobuf) → batch → OTLP/gRPC', { transport: 'http' }],
    ['metrics (sum points) over OTLP/gRPC → batch → OTLP/gRPC', { signal: 'metrics' }],
    ['logs over OTLP/gRPC → batch → OTLP/gRPC', { signal: 'logs' }],
    ['traces → tail_sampling → batch → OTLP/gRPC, and spanmetrics', { pipeline: 'stateful' }],
  ];
  for (const [title, options] of workloads) {
    console.log(`  ${title}`);
    report(await bench.throughSluice(paced, { ...options, batchTimeout: BATCH_TIMEOUT }));
  }

  const saturatedFor = Math.max(...IN_FLIGHT);
  console.log(`\nsaturation: closed loop, memory queue, ${SECONDS} s per run`);
  const forwarder = await bench.throughForwarder({ seconds: SECONDS, inFlight: saturatedFor });
  row(`floor: grpc-js forwarding bytes, ${saturatedFor} in flight (spans per CPU-second)`, perCpuSecond(forwarder).toFixed(0));
  const saturated = [];
  for (const inFlight of IN_FLIGHT) {
    const profile = Boolean(process.env.BENCH_PROFILE) && inFlight === saturatedFor;
    const r = await bench.throughSluice({ seconds: SECONDS, inFlight }, { batchTimeout: BATCH_TIMEOUT, profile });
    saturated.push(r.received / r.wall);
    console.log(`  ${inFlight} requests in flight`);
    row('    throughput through sluice (spans/s)', (r.received / r.wall).toFixed(0));
    row('    spans per sluice CPU-second', perCpuSecond(r).toFixed(0));
    report(r);
    row('    ratio: spans per CPU-second / grpc-js forwarding', (perCpuSecond(r) / perCpuSecond(forwarder)).toFixed(2));
    if (r.profileDir) row('    CPU profile of sluice written to', r.profileDir);
  }
  for (let i = 1; i < saturated.length; i++) row(`ratio: throughput at ${IN_FLIGHT[i]} / at ${IN_FLIGHT[i - 1]} in flight`, (saturated[i] / saturated[i - 1]).toFixed(2));
  // Eight in flight saturate sluice already; more would saturate the driver's own HTTP client and sink first.
  for (const [title, options] of [workloads[0], workloads[3]]) {
    const r = await bench.throughSluice({ seconds: SECONDS, inFlight: 8 }, { ...options, batchTimeout: BATCH_TIMEOUT });
    console.log(`  ${title}, 8 in flight`);
    row('    spans per sluice CPU-second', perCpuSecond(r).toFixed(0));
    row('    ratio: spans per CPU-second / grpc-js forwarding', (perCpuSecond(r) / perCpuSecond(forwarder)).toFixed(2));
  }
  bench.close();

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
