// cardinality_limiter's memory: bytes of live heap per tracked series in exact mode, and the live
// heap of probabilistic mode at 10,000 and at 5,000,000 distinct series (it should not grow).
// Each figure is a difference or ratio against the same process's heap measured just before.
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Subject, VirtualTimeScheduler } from 'rxjs';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function liveHeap() {
  gc();
  return process.memoryUsage().heapUsed;
}

export async function benchCardinality(root) {
  const { cardinalityLimiterProcessorFactory } = await import(join(root, 'dist/src/processors/cardinality_limiter/factory.js'));
  const { createEnvelope, receiverContext } = await import(join(root, 'dist/src/pipeline/envelope.js'));
  const { createLogger } = await import(join(root, 'dist/src/telemetry/logger.js'));
  const { Telemetry } = await import(join(root, 'dist/src/telemetry/telemetry.js'));
  const make = (raw) => {
    const config = cardinalityLimiterProcessorFactory.schema.parse(raw, { issues: [] });
    const p = cardinalityLimiterProcessorFactory.create({ id: 'cardinality_limiter', kind: 'processor', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: new VirtualTimeScheduler() }, config, 'metrics');
    const input = new Subject();
    input.pipe(p.operator).subscribe(() => {});
    const ack = { ack() {}, nack() {} };
    let next = 0;
    return (series) => {
      for (const end = next + series; next < end; ) {
        const dataPoints = [];
        for (let i = 0; i < 1000 && next < end; i++, next++) {
          dataPoints.push({ attributes: [{ key: 'user.id', value: { stringValue: `user-${next}` } }, { key: 'region', value: { stringValue: 'eu-west-1' } }], timeUnixNano: 1, asInt: 1, exemplars: [] });
        }
        input.next(createEnvelope('metrics', { resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] }, scopeMetrics: [{ metrics: [{ name: 'logins', sum: { isMonotonic: true, aggregationTemporality: 1, dataPoints } }] }] }] }, receiverContext('bench'), ack));
      }
    };
  };

  const EXACT = 200_000;
  const SKETCH_SERIES = Number(process.env.BENCH_CARDINALITY_SERIES ?? 5_000_000);
  const before = liveHeap();
  const feedExact = make({ mode: 'exact', max_series_per_metric: EXACT * 2 });
  feedExact(EXACT);
  const exactBytesPerSeries = (liveHeap() - before) / EXACT;

  const feedSketch = make({ mode: 'probabilistic', max_series_per_metric: 100_000 });
  feedSketch(10_000);
  const at10k = liveHeap();
  const t0 = process.hrtime.bigint();
  feedSketch(SKETCH_SERIES - 10_000);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const at5m = liveHeap();
  return { exactSeries: EXACT, exactBytesPerSeries, sketchSeries: SKETCH_SERIES, heapAt10kMiB: at10k / 2 ** 20, heapAtEndMiB: at5m / 2 ** 20, pointsPerSecond: (SKETCH_SERIES - 10_000) / seconds };
}
