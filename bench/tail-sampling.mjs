// tail_sampling's memory bound: 1,000,000 distinct trace ids through the real processor at
// num_traces 50,000, in the driver process on virtual time (decision_wait never passes, so only
// the num_traces bound decides). The baseline is the live heap once the first 50,000 traces fill
// the map; after a million it should be about the same.
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Subject, VirtualTimeScheduler } from 'rxjs';

// A collector of our own, so "retained" means live objects and not garbage not yet collected.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

export async function benchTailSampling(root) {
  const { tailSamplingProcessorFactory } = await import(join(root, 'dist/src/processors/tail_sampling/factory.js'));
  const { createEnvelope, receiverContext } = await import(join(root, 'dist/src/pipeline/envelope.js'));
  const { createLogger } = await import(join(root, 'dist/src/telemetry/logger.js'));
  const { Telemetry } = await import(join(root, 'dist/src/telemetry/telemetry.js'));
  const TRACES = 1_000_000;
  const HELD = 50_000;
  const config = tailSamplingProcessorFactory.schema.parse(
    { decision_wait: '1h', num_traces: HELD, policies: [{ name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } }] },
    { issues: [] },
  );
  const p = tailSamplingProcessorFactory.create({ id: 'tail_sampling', kind: 'processor', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: new VirtualTimeScheduler() }, config, 'traces');
  const input = new Subject();
  let kept = 0;
  input.pipe(p.operator).subscribe((e) => (kept += e.items));
  const attrs = [
    { key: 'http.route', value: { stringValue: '/api/items/{id}' } },
    { key: 'http.response.status_code', value: { intValue: 200 } },
  ];
  const ack = { ack() {}, nack() {} };
  let baselineHeap = 0;
  let peakRss = 0;
  const t0 = process.hrtime.bigint();
  for (let from = 0; from < TRACES; from += 1000) {
    const spans = [];
    for (let t = from; t < from + 1000; t++) {
      const traceId = Buffer.alloc(16);
      traceId.writeUInt32BE(t, 12);
      spans.push({ traceId, spanId: traceId.subarray(8), name: 'GET /api/items/{id}', kind: 2, startTimeUnixNano: 1, endTimeUnixNano: 2, attributes: attrs, events: [], links: [], status: t % 100 === 0 ? { code: 2 } : {} });
    }
    input.next(createEnvelope('traces', { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] }, receiverContext('bench'), ack));
    if (from + 1000 === HELD) {
      gc();
      baselineHeap = process.memoryUsage().heapUsed;
    }
    if (from % 50_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  gc();
  const endHeap = process.memoryUsage().heapUsed;
  input.complete();
  return { traces: TRACES, held: HELD, kept, tracesPerSecond: TRACES / seconds, baselineHeapMiB: baselineHeap / 2 ** 20, endHeapMiB: endHeap / 2 ** 20, peakRssMiB: peakRss / 2 ** 20 };
}
